import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app.ts';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/log.ts';
import { runCli, startService, type RunningService } from '../helpers/cli.ts';
import { atomEntries, lintAtom, lintJsonFeed, lintRss } from '../helpers/feed-lint.ts';
import { until } from '../helpers/poll.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { sharedReaders } from '../helpers/shared-readers.ts';

const FIXTURES = new URL('../fixtures/feeds/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));

function serveFixtures(fx: FixtureServer): void {
  fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: fixture('world-news.rss.xml') });
  fx.routes.set('/tech.atom', { headers: { 'content-type': 'application/atom+xml' }, body: fixture('tech-blog.atom.xml') });
  // GBK bytes labelled gb2312 in the XML declaration only; the HTTP header names no charset.
  fx.routes.set('/cn.xml', { headers: { 'content-type': 'text/xml' }, body: fixture('chinanews.gbk.rss.xml') });
  fx.routes.set('/broken.xml', { status: 500, body: 'Internal Server Error' });
}

function writeConfig(dir: string, fx: FixtureServer): string {
  const file = join(dir, 'sources.yaml');
  writeFileSync(file, `title: Test Wire
baseUrl: http://127.0.0.1:8080
defaults:
  schedule: "*/15 * * * *"
  limit: 50
sources:
  - id: world
    url: ${fx.url('/world.xml')}
    tags: [world, news]
  - id: tech
    url: ${fx.url('/tech.atom')}
    tags: [tech]
  - id: cn
    url: ${fx.url('/cn.xml')}
    title: 中新网 滚动新闻
    tags: [新闻]
    timezone: Asia/Shanghai
  - id: broken
    url: ${fx.url('/broken.xml')}
    tags: [news]
`);
  return file;
}

const FEED_PATHS = ['latest', 'tags/world', 'tags/news', 'tags/tech', `tags/${encodeURIComponent('新闻')}`, 'sources/world', 'sources/cn'];

describe('tributary end to end: fetch --once, then serve', () => {
  const fx = new FixtureServer();
  let dir: string;
  let config: string;
  let data: string;
  let service: RunningService;

  beforeAll(async () => {
    await fx.start();
    serveFixtures(fx);
    dir = mkdtempSync(join(tmpdir(), 'tributary-e2e-'));
    data = join(dir, 'data');
    config = writeConfig(dir, fx);
    const fetched = await runCli(['fetch', '--once', '--config', config, '--data', data]);
    expect(fetched.code).toBe(0);
    expect(fetched.stderr).toContain('broken');
    expect(fetched.stderr).toContain('HTTP 500');
    // From here every source fails: the service must serve what the store holds.
    for (const path of ['/world.xml', '/tech.atom', '/cn.xml']) fx.routes.set(path, { status: 503, body: 'down' });
    service = await startService(['--config', config, '--data', data]);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await fx.stop();
  });

  it('fetch --once stores the items of every good source in data/store.json, and each source\'s state in data/sources.json', () => {
    const store = JSON.parse(readFileSync(join(data, 'store.json'), 'utf8'));
    const bySource = (id: string) => store.items.filter((i: { sourceId: string }) => i.sourceId === id).length;
    expect(bySource('world')).toBe(3);
    expect(bySource('cn')).toBe(3);
    expect(bySource('tech')).toBe(1); // its second entry is the world story, stored once
    const { sources } = JSON.parse(readFileSync(join(data, 'sources.json'), 'utf8'));
    expect(sources.broken.consecutiveFailures).toBe(1);
    expect(sources.broken.lastError).toContain('HTTP 500');
  });

  it('serves the stored items after a restart while every source is failing', async () => {
    const res = await fetch(`${service.base}/feeds/latest.atom`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const entries = atomEntries(await res.text());
    expect(entries).toHaveLength(7);
    expect(new Set(entries.map((e) => e.id)).size).toBe(7);
  });

  it('decodes the GB2312-labelled GBK source into correct Chinese, GBK-only characters included', async () => {
    const body = await (await fetch(`${service.base}/feeds/tags/${encodeURIComponent('新闻')}.atom`)).text();
    const titles = atomEntries(body).map((e) => e.title);
    expect(titles).toEqual(['国产大模型：既需“仰望星空”也要脚踏实地', '喆镕堃：北京今日晴转多云', '新能源汽车3月销量创新高']);
    expect(body).not.toContain('\uFFFD');
  });

  it('lists a story syndicated by two sources once, in the tag feeds of both', async () => {
    const latest = atomEntries(await (await fetch(`${service.base}/feeds/latest.atom`)).text());
    expect(latest.filter((e) => e.title.startsWith('Summit ends with climate pledge'))).toHaveLength(1);
    const tech = atomEntries(await (await fetch(`${service.base}/feeds/tags/tech.atom`)).text());
    expect(tech.map((e) => e.title)).toEqual(['Summit ends with climate pledge &amp; a &lt;surprise&gt;', 'Chip makers &lt;b&gt;race&lt;/b&gt; to 2nm']);
  });

  it('puts only the items of a tag\'s sources into its feed, with the tags as categories', async () => {
    const news = atomEntries(await (await fetch(`${service.base}/feeds/tags/news.atom`)).text());
    expect(news.map((e) => e.link)).toEqual([
      'https://world.example.com/2025/03/summit-climate?utm_source=rss&utm_medium=feed',
      'https://world.example.com/2025/03/markets',
      'https://world.example.com/2025/03/storm',
    ]);
    for (const entry of news) expect(entry.categories).toEqual(expect.arrayContaining(['world', 'news']));
    expect(news[0]!.source).toBe('World Wire');
  });

  it('serves valid Atom, RSS 2.0 and JSON Feed 1.1 for latest, every tag and every source', async () => {
    for (const path of FEED_PATHS) {
      const [atom, rss, json] = await Promise.all(['atom', 'rss', 'json'].map(async (ext) => {
        const res = await fetch(`${service.base}/feeds/${path}.${ext}`);
        expect(res.status, `${path}.${ext}`).toBe(200);
        return res.text();
      }));
      expect(lintAtom(atom!), `${path}.atom`).toEqual([]);
      expect(lintRss(rss!), `${path}.rss`).toEqual([]);
      expect(lintJsonFeed(json!), `${path}.json`).toEqual([]);
    }
  });

  it('answers a repeated conditional request with 304 and no body', async () => {
    const first = await fetch(`${service.base}/feeds/latest.rss`);
    const etag = first.headers.get('etag')!;
    const lastModified = first.headers.get('last-modified')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const byEtag = await fetch(`${service.base}/feeds/latest.rss`, { headers: { 'if-none-match': etag } });
    expect(byEtag.status).toBe(304);
    expect(await byEtag.text()).toBe('');
    const byDate = await fetch(`${service.base}/feeds/latest.rss`, { headers: { 'if-modified-since': lastModified } });
    expect(byDate.status).toBe(304);
    const stale = await fetch(`${service.base}/feeds/latest.rss`, { headers: { 'if-none-match': '"something-else"' } });
    expect(stale.status).toBe(200);
  });

  it('sends gzip when asked, and headers without a body for HEAD', async () => {
    const { request } = await import('node:http');
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      request(`${service.base}/feeds/latest.json`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers['content-type']).toBe('application/feed+json; charset=utf-8');
    const plain = await (await fetch(`${service.base}/feeds/latest.json`)).text();
    expect(gunzipSync(raw.body).toString('utf8')).toBe(plain);
    const head = await fetch(`${service.base}/feeds/latest.json`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(raw.headers.etag);
    expect(await head.text()).toBe('');
  });

  it('answers 404 for an unknown tag and never reads a path from the URL', async () => {
    expect((await fetch(`${service.base}/feeds/tags/nope.atom`)).status).toBe(404);
    expect((await fetch(`${service.base}/feeds/tags/..%2F..%2Fpackage.atom`)).status).toBe(404);
    expect((await fetch(`${service.base}/feeds/tags/%E0%A4%A.atom`)).status).toBe(400);
  });

  it('serves an index with autodiscovery links, an OPML of every feed, and a health report', async () => {
    const index = await (await fetch(`${service.base}/`)).text();
    expect(index).toContain('<link rel="alternate" type="application/atom+xml"');
    expect(index).toContain(`href="http://127.0.0.1:8080/feeds/tags/${encodeURIComponent('新闻')}.atom"`);
    const opml = await (await fetch(`${service.base}/feeds.opml`)).text();
    expect(opml).toContain('<opml version="2.0">');
    expect(opml).toContain('xmlUrl="http://127.0.0.1:8080/feeds/latest.atom"');
    expect(opml).toContain('xmlUrl="http://127.0.0.1:8080/feeds/tags/tech.atom"');
    // Every source fails from the serve on (see beforeAll): once its first cycle has run, degraded, still 200.
    const health = await until('the first cycle to fail every source', async () => {
      const res = await fetch(`${service.base}/healthz`);
      expect(res.status).toBe(200);
      const body = await res.json() as { failing: number };
      return body.failing === 4 && body;
    });
    expect(health).toMatchObject({ status: 'degraded', sources: 4, failing: 4, items: 7 });
    expect(health).toHaveProperty('lastFetch');
  });
});

describe('fetch cycles in one process', () => {
  const fx = new FixtureServer();
  let app: App;
  let dataDir: string;

  beforeAll(async () => {
    await fx.start();
    serveFixtures(fx);
    dataDir = mkdtempSync(join(tmpdir(), 'tributary-cycle-'));
    const config = parseConfig(readFileSync(writeConfig(dataDir, fx), 'utf8'), 'sources.yaml');
    app = await App.open({ config, dataDir, logger: silentLogger(), readers: sharedReaders() });
  });

  afterAll(async () => {
    await app.close();
    await fx.stop();
  });

  it('renders byte-identical feeds with the same ETag when no source changed', async () => {
    await app.runCycle();
    const before = FEED_PATHS.map((p) => app.feeds.get(decodeURIComponent(p), 'atom')!);
    const second = await app.runCycle();
    expect(second.added).toBe(0);
    expect(second.updated).toBe(0);
    expect(second.rendered).toEqual([]);
    FEED_PATHS.forEach((p, i) => {
      const after = app.feeds.get(decodeURIComponent(p), 'atom')!;
      expect(after.body.equals(before[i]!.body), p).toBe(true);
      expect(after.etag).toBe(before[i]!.etag);
    });
  });

  it('updates an edited item in place: same id, new title, no second copy', async () => {
    const edited = fixture('world-news.rss.xml').toString().replace('Markets rally as rates hold', 'Markets rally as central bank holds rates');
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: edited });
    const before = app.store.items().find((i) => i.title === 'Markets rally as rates hold')!;
    const report = await app.runCycle();
    expect(report.updated).toBe(1);
    expect(report.added).toBe(0);
    const after = app.store.items().filter((i) => i.link === before.link);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(before.id);
    expect(after[0]!.title).toBe('Markets rally as central bank holds rates');
    expect(after[0]!.updated > before.updated).toBe(true);
    expect(report.rendered).toContain('latest');
    expect(report.rendered).not.toContain('tags/新闻');
  });

  it('keeps at most retention.maxItemsPerSource items per source, newest first', async () => {
    const small = parseConfig(readFileSync(join(dataDir, 'sources.yaml'), 'utf8').replace('defaults:', 'retention:\n  maxItemsPerSource: 2\ndefaults:'), 'sources.yaml');
    const pruned = await App.open({ config: small, dataDir: mkdtempSync(join(tmpdir(), 'tributary-prune-')), logger: silentLogger(), readers: sharedReaders() });
    await pruned.runCycle();
    const world = pruned.store.items().filter((i) => i.sourceId === 'world').map((i) => i.title);
    expect(world).toHaveLength(2);
    expect(world).not.toContain('Storm warning for the coast');
    await pruned.close();
  });

  it('writes the store atomically: no temp file is left and the file is complete JSON', async () => {
    await app.runCycle();
    const text = readFileSync(join(dataDir, 'store.json'), 'utf8');
    expect(() => JSON.parse(text)).not.toThrow();
    expect(existsSync(join(dataDir, '.store.json.tmp'))).toBe(false);
  });
});
