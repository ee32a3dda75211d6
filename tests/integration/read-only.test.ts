import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService, type SpawnOptions } from '../helpers/cli.ts';
import { atomEntries } from '../helpers/feed-lint.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { getJson, until } from '../helpers/poll.ts';

const FIXTURES = new URL('../fixtures/feeds/', import.meta.url);

/**
 * File modes do not stop root, and tests may run as root. Then the service runs as "nobody" (uid 65534),
 * which the modes do stop, so `chmod 0555` makes the data directory really read-only for it.
 */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const runAs: SpawnOptions = asRoot ? { uid: NOBODY, gid: NOBODY } : {};

function sourcesYaml(fx: FixtureServer, ids: string[]): string {
  // A fixed description: the default one counts the sources, which would change the feed with the config.
  return `title: Read-only\ndescription: Test wire\nsources:\n${ids.map((id) => `  - id: ${id}\n    url: ${fx.url(`/${id}.xml`)}\n`).join('')}`;
}

async function entriesOf(service: RunningService, feed: string) {
  return atomEntries(await (await fetch(`${service.base}/feeds/${feed}.atom`)).text());
}

describe('a data directory that becomes read-only', () => {
  const fx = new FixtureServer();
  let service: RunningService;
  let feeds: string;
  let data: string;

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: readFileSync(new URL('world-news.rss.xml', FIXTURES)) });
    fx.routes.set('/tech.xml', { headers: { 'content-type': 'application/atom+xml' }, body: readFileSync(new URL('tech-blog.atom.xml', FIXTURES)) });
    fx.routes.set('/cn.xml', { headers: { 'content-type': 'text/xml' }, body: readFileSync(new URL('chinanews.gbk.rss.xml', FIXTURES)) });
    const dir = mkdtempSync(join(tmpdir(), 'tributary-readonly-'));
    chmodSync(dir, 0o755);
    feeds = join(dir, 'feeds');
    data = join(dir, 'data');
    mkdirSync(feeds);
    mkdirSync(data);
    if (asRoot) chownSync(data, NOBODY, NOBODY);
    writeFileSync(join(feeds, 'sources.yaml'), sourcesYaml(fx, ['world']));
    service = await startService(['--config', feeds, '--data', data], {}, runAs);
    await until('the first cycle to be served', async () => entriesOf(service, 'latest').then((e) => e.length > 0));
  });

  afterAll(async () => {
    chmodSync(data, 0o755);
    await service?.stop();
    await fx.stop();
  });

  it('logs the failed write, keeps serving what the disk holds, and writes it all once it can', async () => {
    const latest = await fetch(`${service.base}/feeds/latest.atom`);
    const etag = latest.headers.get('etag');
    const before = atomEntries(await latest.text());
    const storeBefore = readFileSync(join(data, 'store.json'));
    chmodSync(data, 0o555);

    // A new source is fetched at once; its items cannot be stored.
    writeFileSync(join(feeds, 'sources.yaml'), sourcesYaml(fx, ['world', 'tech']));
    const failed = await until('the write to fail', async () => (await getJson(`${service.base}/status`)).store.error);
    expect(failed).toContain(`cannot write store ${join(data, 'store.json')}`);
    expect(failed).toContain('EACCES');
    expect(failed).toContain('the data directory is not writable');
    expect(service.stderr()).toMatch(/"level":50,[^\n]*"code":"EACCES"[^\n]*cannot write store/);

    // Nothing that is not on disk is served; the file and the directory are as they were.
    const during = await fetch(`${service.base}/feeds/latest.atom`);
    expect(during.headers.get('etag')).toBe(etag);
    expect(atomEntries(await during.text())).toEqual(before);
    expect(await entriesOf(service, 'sources/tech')).toEqual([]);
    expect(readFileSync(join(data, 'store.json')).equals(storeBefore)).toBe(true);
    expect(readdirSync(data).filter((name) => name.endsWith('.tmp'))).toEqual([]);

    // Writable again: the next cycle (here: the one fetching another new source) also retries "tech".
    chmodSync(data, 0o755);
    writeFileSync(join(feeds, 'sources.yaml'), sourcesYaml(fx, ['world', 'tech', 'cn']));
    const tech = await until('the retried source to be served', async () => {
      const entries = await entriesOf(service, 'sources/tech');
      return entries.length > 0 && entries;
    });
    expect(tech.map((e) => e.title)).toContain('Chip makers &lt;b&gt;race&lt;/b&gt; to 2nm');
    expect((await getJson(`${service.base}/status`)).store.error).toBeUndefined();
    const stored = JSON.parse(readFileSync(join(data, 'store.json'), 'utf8'));
    expect(new Set(stored.items.map((i: { sourceId: string }) => i.sourceId))).toEqual(new Set(['world', 'tech', 'cn']));
    expect((await fetch(`${service.base}/feeds/latest.atom`)).headers.get('etag')).not.toBe(etag);
  });
});
