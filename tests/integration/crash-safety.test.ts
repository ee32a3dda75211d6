import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { generatedKey, generatedRss } from '../helpers/generated-feed.ts';

const SOURCES = ['alpha', 'beta', 'gamma'];
const GROWTH = 25; // new items per source per fetch

/**
 * Where each run is killed. "request" lands in the middle of fetching, before any write; "temp file" in the
 * middle of writing the store (the new file exists, the rename has not happened yet); "backup" between
 * keeping the old file as a backup and replacing it; "rename" just after the new file replaced the old one,
 * while backups are pruned and feeds rendered. Runs killed after the rename commit, so the set of items
 * that must survive grows along the loop.
 */
const KILL_AT = ['request', 'temp file', 'rename', 'backup', 'temp file', 'rename'] as const;

interface StoreFile {
  version: number;
  generation: number;
  items: { sourceId: string; key: string; id: string }[];
}

function readStore(data: string): StoreFile | undefined {
  const file = join(data, 'store.json');
  if (!existsSync(file)) return undefined;
  // JSON.parse throws on a torn file, which fails the test with the file's name in the stack.
  return JSON.parse(readFileSync(file, 'utf8')) as StoreFile;
}

describe('kill -9 during ingest', () => {
  const fx = new FixtureServer();
  const served = new Map<string, number>();
  let onRequest: (() => void) | undefined;
  let dir: string;
  let data: string;
  let config: string;

  beforeAll(async () => {
    await fx.start();
    for (const id of SOURCES) {
      // Each fetch sees the whole history plus GROWTH new items, as a busy real feed would.
      fx.routes.set(`/${id}.xml`, () => {
        const count = (served.get(id) ?? 0) + GROWTH;
        served.set(id, count);
        onRequest?.();
        return { headers: { 'content-type': 'application/rss+xml' }, body: generatedRss(id, count) };
      });
    }
    dir = mkdtempSync(join(tmpdir(), 'tributary-kill-'));
    data = join(dir, 'data');
    mkdirSync(join(data, 'backups'), { recursive: true });
    config = join(dir, 'sources.yaml');
    writeFileSync(config, `title: Crash test\nretention:\n  maxItemsPerSource: 5000\nsources:\n${SOURCES.map((id) => `  - id: ${id}\n    url: ${fx.url(`/${id}.xml`)}\n`).join('')}`);
  });

  afterAll(async () => {
    onRequest = undefined;
    await fx.stop();
  });

  it('keeps every committed item and a readable store through repeated kills, then catches up', async () => {
    let committed = new Set<string>();
    let generation = 0;
    let kills = 0;
    for (const where of KILL_AT) {
      const child = spawnCli(['fetch', '--once', '--config', config, '--data', data]);
      const kill = () => child.kill('SIGKILL');
      let watcher: FSWatcher | undefined;
      if (where === 'request') onRequest = kill;
      if (where === 'temp file') watcher = watch(data, (_e, name) => name?.toString().endsWith('.tmp') && kill());
      if (where === 'backup') watcher = watch(join(data, 'backups'), kill);
      if (where === 'rename') watcher = watch(data, (_e, name) => name?.toString() === 'store.json' && kill());
      const [, signal] = await once(child, 'close') as [number | null, NodeJS.Signals | null];
      onRequest = undefined;
      watcher?.close();
      if (signal === 'SIGKILL') kills++;

      const store = readStore(data);
      if (!store) continue; // killed before the first write ever finished
      const keys = new Set(store.items.map((i) => `${i.sourceId}|${i.key}`));
      const lost = [...committed].filter((key) => !keys.has(key));
      expect(lost, `items lost after a kill at "${where}"`).toEqual([]);
      expect(store.generation).toBeGreaterThanOrEqual(generation);
      committed = keys;
      generation = store.generation;
    }
    // The request kill cannot miss: it lands before that run could finish. The others race the process.
    expect(kills).toBeGreaterThanOrEqual(KILL_AT.filter((w) => w === 'request').length);
    expect(generation, 'runs killed after their rename committed').toBeGreaterThanOrEqual(1);

    const clean = await runCli(['fetch', '--once', '--config', config, '--data', data]);
    expect(clean.code, clean.stderr).toBe(0);
    const store = readStore(data)!;
    const keys = new Set(store.items.map((i) => `${i.sourceId}|${i.key}`));
    for (const key of committed) expect(keys.has(key), key).toBe(true);
    // Everything a killed run had fetched but not committed came back with the next fetch.
    for (const id of SOURCES) {
      for (let i = 0; i < served.get(id)!; i++) expect(keys.has(`${id}|${generatedKey(id, i)}`), `${id} item ${i}`).toBe(true);
    }
    expect(store.items).toHaveLength(new Set(store.items.map((i) => i.id)).size);
    expect(readdirSync(data).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const backups = readdirSync(join(data, 'backups')).filter((name) => name.startsWith('store-'));
    expect(backups.length).toBeGreaterThan(0);
    expect(backups.length).toBeLessThanOrEqual(3);
    for (const name of backups) expect(JSON.parse(readFileSync(join(data, 'backups', name), 'utf8')).version).toBe(2);
  }, 120_000);
});
