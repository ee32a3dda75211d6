import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { runCli, startService } from '../helpers/cli.ts';
import { atomEntries } from '../helpers/feed-lint.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { getJson } from '../helpers/poll.ts';
import { sharedReaders } from '../helpers/shared-readers.ts';

const FIXTURES = new URL('../fixtures/feeds/', import.meta.url);

describe('a store file that cannot be read at start', () => {
  const fx = new FixtureServer();
  let dir: string;
  let config: string;
  let prepared: string;

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: readFileSync(new URL('world-news.rss.xml', FIXTURES)) });
    dir = mkdtempSync(join(tmpdir(), 'tributary-recover-'));
    config = join(dir, 'sources.yaml');
    writeFileSync(config, `title: Recovery\nsources:\n  - id: world\n    url: ${fx.url('/world.xml')}\n`);
    // Two cycles that change items: store.json is generation 2, backups/ holds generation 1. (A cycle whose
    // items did not change does not rewrite store.json at all.)
    prepared = join(dir, 'prepared');
    const app = await App.open({ config: await loadConfig(config), dataDir: prepared, logger: silentLogger(), readers: sharedReaders() });
    await app.runCycle();
    const edited = readFileSync(new URL('world-news.rss.xml', FIXTURES), 'utf8').replace('Storm warning for the coast', 'Storm warning for the whole coast');
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: edited });
    await app.runCycle();
    await app.close();
    // From here the source is down, so whatever the service serves comes from the disk.
    fx.routes.set('/world.xml', { status: 503, body: 'down' });
  });

  afterAll(async () => {
    await fx.stop();
  });

  function dataWith(storeText: string): string {
    const data = mkdtempSync(join(dir, 'data-'));
    cpSync(prepared, data, { recursive: true });
    writeFileSync(join(data, 'store.json'), storeText);
    return data;
  }

  it('refuses to start on a corrupt store, names the file and leaves it as it was', async () => {
    const torn = readFileSync(join(prepared, 'store.json'), 'utf8').slice(0, 300);
    const data = dataWith(torn);
    const result = await runCli(['serve', '--port', '0', '--config', config, '--data', data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`store file ${join(data, 'store.json')} is corrupt`);
    expect(result.stderr).toContain('--recover');
    expect(readFileSync(join(data, 'store.json'), 'utf8')).toBe(torn);
    expect(readdirSync(data).sort()).toEqual(['backups', 'sources.json', 'store.json']);
  });

  it('refuses a store written in an unknown schema version', async () => {
    const data = dataWith(JSON.stringify({ version: 3, generation: 9, items: [], sources: {}, shards: ['a'] }));
    const result = await runCli(['fetch', '--once', '--config', config, '--data', data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(join(data, 'store.json'));
    expect(result.stderr).toContain('schema version 3 is not one this release reads (it reads 1, 2)');
    expect(JSON.parse(readFileSync(join(data, 'store.json'), 'utf8')).version).toBe(3);
  });

  it('names the item and the field of a malformed item, and leaves the file as it was', async () => {
    const good = JSON.parse(readFileSync(join(prepared, 'store.json'), 'utf8'));
    delete good.items[1].sourceId;
    const text = JSON.stringify(good);
    const data = dataWith(text);
    const result = await runCli(['fetch', '--once', '--config', config, '--data', data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(join(data, 'store.json'));
    expect(result.stderr).toMatch(new RegExp(`item 1 \\(line 3, id ${good.items[1].id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): field "sourceId" is missing`));
    expect(readFileSync(join(data, 'store.json'), 'utf8')).toBe(text);
  });

  it('keeps an item written twice once, says how many, and rewrites the file without the copy', async () => {
    const good = JSON.parse(readFileSync(join(prepared, 'store.json'), 'utf8'));
    const count = good.items.length;
    // The same item twice (a hand edit), and an older copy of another under a new id (same source and key).
    good.items.push({ ...good.items[0] }, { ...good.items[1], id: `${good.items[1].id}-copy`, updated: '2000-01-01T00:00:00.000Z' });
    const data = dataWith(JSON.stringify(good));
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: readFileSync(new URL('world-news.rss.xml', FIXTURES)) });
    try {
      const service = await startService(['--config', config, '--data', data]);
      try {
        expect(service.stderr()).toMatch(/store held 2 duplicate item\(s\)/);
        const ids = atomEntries(await (await fetch(`${service.base}/feeds/latest.atom`)).text()).map((e) => e.id);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).not.toContain(`${good.items[1].id}-copy`);
      } finally {
        expect(await service.stop()).toBe(0);
      }
    } finally {
      fx.routes.set('/world.xml', { status: 503, body: 'down' });
    }
    const rewritten = JSON.parse(readFileSync(join(data, 'store.json'), 'utf8'));
    expect(rewritten.items.map((i: { id: string }) => i.id).sort()).toEqual(good.items.slice(0, count).map((i: { id: string }) => i.id).sort());
  });

  it('with --recover, moves the file aside and serves the newest good backup', async () => {
    const data = dataWith('{"version":2,"generation":3,"items":[{"id":"ht');
    const service = await startService(['--recover', '--config', config, '--data', data]);
    try {
      expect(service.stderr()).toMatch(/recovered: unreadable store moved to .*store\.json\.corrupt-[0-9T-]+\.\d+Z; continuing from backup .*backups\/store-/);
      const aside = readdirSync(data).filter((name) => name.startsWith('store.json.corrupt-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(data, aside[0]!), 'utf8')).toBe('{"version":2,"generation":3,"items":[{"id":"ht');
      const entries = atomEntries(await (await fetch(`${service.base}/feeds/latest.atom`)).text());
      expect(entries.map((e) => e.title)).toContain('Markets rally as rates hold');
      const status = await getJson(`${service.base}/status`);
      expect(status.store.generation).toBeGreaterThanOrEqual(1);
    } finally {
      expect(await service.stop()).toBe(0);
    }
  });
});
