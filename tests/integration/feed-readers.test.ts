import { request } from 'node:http';
import { brotliDecompressSync } from 'node:zlib';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintAtom, lintJsonFeed, lintRss } from '../helpers/feed-lint.ts';
import { readFeed, Subscriber } from '../helpers/feed-reader.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { fixture, sampleConfigText, serveSampleFeeds, SITE_BASE, startSampleSite, type SampleSite } from '../helpers/sample-site.ts';
import { BAD_FEED_QUERIES } from '../helpers/bad-queries.ts';

const PATHS = ['latest', 'tags/world', 'tags/news', 'tags/tech', `tags/${encodeURIComponent('新闻')}`, 'sources/world', 'sources/tech', 'sources/cn', 'sources/broken'];
const FORMATS = ['atom', 'rss', 'json'] as const;
const LINT = { atom: lintAtom, rss: lintRss, json: lintJsonFeed };

describe('output feeds as feed readers and pollers use them', () => {
  const fx = new FixtureServer();
  let site: SampleSite;

  beforeAll(async () => {
    await fx.start();
    serveSampleFeeds(fx);
    site = await startSampleSite(sampleConfigText(fx)); // limit 2: latest's 7 items fill 4 pages
    await site.app.runCycle();
  });

  afterAll(async () => {
    await site?.app.close();
    await fx.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${site.base}${path}`, { headers });

  it('lets a feed-reader library subscribe to every feed in every format; the second poll is a 304', async () => {
    for (const path of PATHS) {
      for (const format of FORMATS) {
        const url = `${site.base}/feeds/${path}.${format}`;
        const reader = new Subscriber(url);
        const first = await reader.poll();
        expect(first.status, url).toBe(200);
        const ids = first.feed!.entries.map((e) => e.id);
        expect(new Set(ids).size, url).toBe(ids.length);
        expect(ids.length, url).toBeLessThanOrEqual(2);
        expect(first.feed!.links.self, url).toBe(`${SITE_BASE}/feeds/${path}.${format}`);
        expect((await reader.poll()).status, url).toBe(304);
        expect(reader.seen.size).toBe(ids.length);
      }
    }
  });

  it('serves every feed, page and filtered view valid against the W3C rules, self link included', async () => {
    for (const path of PATHS) {
      for (const format of FORMATS) {
        for (const query of ['', '?page=2', '?limit=500', '?filter=a&since=2025-01-01']) {
          const res = await get(`/feeds/${path}.${format}${query}`);
          if (res.status === 404) continue; // a short feed has no page 2
          expect(res.status, `${path}.${format}${query}`).toBe(200);
          const problems = LINT[format](await res.text(), { location: `${SITE_BASE}/feeds/${path}.${format}${query}` });
          expect(problems, `${path}.${format}${query}`).toEqual([]);
        }
      }
    }
  });

  it('lets a reader that was away catch up: next links walk back through every item exactly once', async () => {
    const expected = [...site.app.store.items()].sort((a, b) => (a.published < b.published ? 1 : -1)).map((i) => i.id);
    expect(expected).toHaveLength(7);
    for (const format of FORMATS) {
      const seen: string[] = [];
      let url: string | undefined = `${site.base}/feeds/latest.${format}`;
      for (let hops = 0; url && hops < 10; hops++) {
        const res = await fetch(url);
        expect(res.status, url).toBe(200);
        const feed = readFeed(await res.text());
        seen.push(...feed.entries.map((e) => e.id));
        url = feed.links.next ? site.local(feed.links.next) : undefined;
      }
      expect(seen, format).toEqual(expected);
    }
    const last = readFeed(await (await get('/feeds/latest.atom?page=4')).text());
    expect(last.links).toMatchObject({ first: `${SITE_BASE}/feeds/latest.atom`, previous: `${SITE_BASE}/feeds/latest.atom?page=3`, last: `${SITE_BASE}/feeds/latest.atom?page=4` });
    expect(last.links.next).toBeUndefined();
  });

  it('renders a page or filtered view once, then answers from the cache and with 304', async () => {
    const first = await get('/feeds/latest.rss?page=3&limit=1');
    expect(first.status).toBe(200);
    const rendered = site.app.feeds.viewsRendered;
    const again = await get('/feeds/latest.rss?limit=1&page=3&_=cachebuster');
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(site.app.feeds.viewsRendered).toBe(rendered);
    const conditional = await get('/feeds/latest.rss?page=3&limit=1', { 'if-none-match': first.headers.get('etag')! });
    expect(conditional.status).toBe(304);
  });

  it('filters by substring or /regex/ on title and summary, with an ETag of its own', async () => {
    const titles = async (query: string) => readFeed(await (await get(`/feeds/latest.json${query}`)).text()).entries.map((e) => e.title);
    expect(await titles('?filter=CLIMATE&limit=50')).toEqual(['Summit ends with climate pledge & a <surprise>']);
    expect(await titles('?filter=/^(markets|storm)/&limit=50')).toEqual(['Markets rally as rates hold', 'Storm warning for the coast']);
    expect(await titles('?filter=汽车')).toEqual(['新能源汽车3月销量创新高']);
    expect(await titles('?filter=pledge?&limit=50')).toEqual([]); // a "?" inside the query is part of the value
    const all = await titles('?limit=50');
    const without = await titles('?filterout=/climate|storm|汽车/&limit=50');
    expect(without).toHaveLength(all.length - 3);
    expect(await titles('?since=2025-03-09T09:00:00Z&limit=50')).not.toContain('Storm warning for the coast');
    const plain = await get('/feeds/latest.atom');
    const filtered = await get('/feeds/latest.atom?filter=climate');
    expect(filtered.headers.get('etag')).not.toBe(plain.headers.get('etag'));
  });

  it.each([
    ...BAD_FEED_QUERIES,
    ['?page=99', 404, 'has 4 pages; there is no page 99'],
  ])('answers %s with %i and says why', async (query, status, message) => {
    const res = await get(`/feeds/latest.atom${query}`);
    expect(res.status).toBe(status);
    expect(await res.text()).toContain(message);
  });

  it('shows a browser an XSL-styled page of the same bytes, and gives readers the feed type', async () => {
    const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    for (const format of ['atom', 'rss'] as const) {
      const asReader = await get(`/feeds/latest.${format}`);
      const asBrowser = await get(`/feeds/latest.${format}`, { accept: browserAccept });
      expect(asReader.headers.get('content-type')).toBe(`application/${format}+xml; charset=utf-8`);
      expect(asBrowser.headers.get('content-type')).toBe('application/xml; charset=utf-8');
      expect(asBrowser.headers.get('vary')).toBe('Accept-Encoding, Accept');
      const body = await asBrowser.text();
      expect(body).toBe(await asReader.text());
      expect(body).toContain('<?xml-stylesheet href="/feeds/style.xsl" type="text/xsl"?>');
    }
    const json = await get('/feeds/latest.json', { accept: browserAccept });
    expect(json.headers.get('content-type')).toBe('application/feed+json; charset=utf-8');
    const xsl = await get('/feeds/style.xsl');
    expect(xsl.status).toBe(200);
    expect(xsl.headers.get('content-type')).toBe('text/xsl; charset=utf-8');
    const text = await xsl.text();
    expect(XMLValidator.validate(text)).toBe(true);
    expect(text).toContain('<xsl:template match="atom:feed">');
  });

  it('answers conditional requests by strong ETag, weak comparison, lists and If-Modified-Since', async () => {
    const res = await get('/feeds/tags/news.atom');
    const etag = res.headers.get('etag')!;
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    expect(res.headers.get('last-modified')).toBe(new Date('2025-03-09T10:42:02Z').toUTCString());
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      expect((await get('/feeds/tags/news.atom', { 'if-none-match': inm })).status, inm).toBe(304);
    }
    expect((await get('/feeds/tags/news.atom', { 'if-none-match': '"other"' })).status).toBe(200);
    expect((await get('/feeds/tags/news.atom', { 'if-modified-since': res.headers.get('last-modified')! })).status).toBe(304);
    expect((await get('/feeds/tags/news.atom', { 'if-modified-since': 'Sat, 01 Mar 2025 00:00:00 GMT' })).status).toBe(200);
  });

  it('sends a brotli body precompressed at render time, the same bytes as the plain one', async () => {
    const raw = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      request(`${site.base}/feeds/tags/tech.rss`, { headers: { 'accept-encoding': 'br;q=1, gzip;q=0.5' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    expect(raw.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(raw.body).equals(site.app.feeds.get('tags/tech', 'rss')!.body)).toBe(true);
    expect(site.app.feeds.get('tags/tech', 'rss')!.brotli).toBe(site.app.feeds.get('tags/tech', 'rss')!.brotli);
  });

  it('exposes Prometheus metrics: fetches, durations, items, feed requests by status', async () => {
    await get('/feeds/latest.atom');
    const etag = (await get('/feeds/latest.atom')).headers.get('etag')!;
    await get('/feeds/latest.atom', { 'if-none-match': etag });
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"=.,]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('tributary_fetches_total{source="world",outcome="ok"}')).toBe(1);
    expect(value('tributary_fetches_total{source="broken",outcome="error"}')).toBe(1);
    expect(value('tributary_fetch_duration_seconds_count{source="cn"}')).toBe(1);
    expect(value('tributary_items_stored')).toBe(7);
    expect(value('tributary_source_items{source="world"}')).toBe(3);
    expect(value('tributary_feed_requests_total{feed="latest.atom",status="200"}')).toBeGreaterThanOrEqual(2);
    expect(value('tributary_feed_requests_total{feed="latest.atom",status="304"}')).toBeGreaterThanOrEqual(1);
    expect(value('tributary_render_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(value('tributary_store_write_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(text).toContain('process_cpu_seconds_total');
  });
});

describe('a source\'s logo on its own feed', () => {
  const fx = new FixtureServer();
  let site: SampleSite;

  beforeAll(async () => {
    await fx.start();
    serveSampleFeeds(fx);
    const world = fixture('world-news.rss.xml').toString()
      .replace('<language>en</language>', '<language>en</language><image><url>/img/logo.png</url><title>World Wire</title><link>https://world.example.com/</link></image>');
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: world });
    const tech = fixture('tech-blog.atom.xml').toString().replace('</title>', '</title><logo>https://tech.example.com/logo.svg</logo>');
    fx.routes.set('/tech.atom', { headers: { 'content-type': 'application/atom+xml' }, body: tech });
    site = await startSampleSite(sampleConfigText(fx));
    await site.app.runCycle();
  });

  afterAll(async () => {
    await site?.app.close();
    await fx.stop();
  });

  it('carries the logo an RSS or Atom source names, resolved, into Atom, RSS and JSON Feed', async () => {
    const text = async (path: string) => (await fetch(`${site.base}/feeds/${path}`)).text();
    const worldLogo = `${fx.base}/img/logo.png`;
    expect(await text('sources/world.atom')).toContain(`<logo>${worldLogo}</logo>`);
    expect(await text('sources/world.rss')).toContain(`<url>${worldLogo}</url>`);
    expect(JSON.parse(await text('sources/world.json')).icon).toBe(worldLogo);
    expect(await text('sources/tech.atom')).toContain('<logo>https://tech.example.com/logo.svg</logo>');
    expect(await text('latest.atom')).not.toContain('<logo>');
    expect(lintRss(await text('sources/world.rss'))).toEqual([]);
    expect(lintAtom(await text('sources/tech.atom'))).toEqual([]);
  });
});
