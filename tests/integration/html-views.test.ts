// The HTML view of every feed through the real service, as a browser reads it: same items and order as the
// feed's Atom document, cached like the feeds, in the configured language, advertised from the feeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFeed } from '../helpers/feed-reader.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { sampleConfigText, serveSampleFeeds, SITE_BASE, startSampleSite, type SampleSite } from '../helpers/sample-site.ts';

const pageIds = (html: string) => [...html.matchAll(/data-item-id="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));

describe('HTML views of the feeds, in the configured language', () => {
  const fx = new FixtureServer();
  let site: SampleSite;

  beforeAll(async () => {
    await fx.start();
    serveSampleFeeds(fx);
    site = await startSampleSite(sampleConfigText(fx, 'language: zh-CN')); // limit 2
    await site.app.runCycle();
  });

  afterAll(async () => {
    await site?.app.close();
    await fx.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${site.base}${path}`, { headers });
  const atomIds = async (path: string) => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return readFeed(await res.text()).entries.map((e) => e.id);
  };

  const cases = [
    ['latest', '/feeds/latest'],
    ['a tag', `/feeds/tags/${encodeURIComponent('新闻')}`],
    ['a source', '/feeds/sources/world'],
    ['page 2 of a composed tag feed', '/feeds/tags/world+news', '?page=2'],
    ['page 2 of a composed any-of feed', '/feeds/tags/tech,news', '?page=2'],
  ] as const;

  for (const [what, path, query = ''] of cases) {
    it(`serves ${what} as a page with the Atom document's items in its order, revalidated by ETag`, async () => {
      const res = await get(`${path}.html${query}`, { accept: 'text/html' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'sha256-/);
      const html = await res.text();
      expect(html).toMatch(/^<!doctype html>\n<html lang="zh-CN">/);
      const ids = await atomIds(`${path}.atom${query}`);
      expect(ids.length).toBeGreaterThan(0);
      expect(pageIds(html)).toEqual(ids);
      const etag = res.headers.get('etag')!;
      expect(etag).toMatch(/^"/);
      const again = await get(`${path}.html${query}`, { 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
    });
  }

  it('answers gzip and br like the feeds, with the same ETag', async () => {
    const plain = await get('/feeds/latest.html');
    const gz = await get('/feeds/latest.html', { 'accept-encoding': 'gzip' });
    expect(gz.headers.get('content-encoding')).toBe('gzip');
    expect(gz.headers.get('etag')).toBe(plain.headers.get('etag'));
    // fetch() undoes the gzip: the same page comes out
    expect(await gz.text()).toBe(await plain.text());
    const br = await get('/feeds/latest.html', { 'accept-encoding': 'br' });
    expect(br.headers.get('content-encoding')).toBe('br');
  });

  it('speaks Chinese on the page and links the tags, sources, subscribe URLs and OPML', async () => {
    const html = await (await get('/feeds/sources/world.html')).text();
    expect(html).toContain('>订阅</h2>');
    expect(html).toContain('<p class="desc">World Wire 的条目</p>');
    expect(await (await get('/feeds/latest.html')).text()).toContain('<p class="desc">来自 4 个来源的最新条目</p>');
    expect(html).toContain(`value="${SITE_BASE}/feeds/sources/world.atom"`);
    expect(html).toContain(`value="${SITE_BASE}/feeds/sources/world.rss"`);
    expect(html).toContain(`value="${SITE_BASE}/feeds/sources/world.json"`);
    expect(html).toContain(`href="${SITE_BASE}/feeds.opml"`);
    expect(html).toContain(`href="${SITE_BASE}/feeds/tags/world.html" rel="tag"`);
    expect(html).toContain(`href="${SITE_BASE}/feeds/sources/world.html"`);
  });

  it('refuses a page past the last as the feeds do', async () => {
    expect((await get('/feeds/latest.html?page=999')).status).toBe(404);
    expect((await get('/feeds/tags/nope.html')).status).toBe(404);
  });

  it('advertises each page from its feeds and gives the feeds the configured language', async () => {
    const atom = await (await get('/feeds/tags/world+news.atom?page=2')).text();
    expect(atom).toContain('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">');
    expect(atom).toContain(`<link rel="alternate" href="${SITE_BASE}/feeds/tags/news%2Bworld.html"/>`);
    const rss = await (await get('/feeds/latest.rss')).text();
    expect(rss).toContain(`<link>${SITE_BASE}/feeds/latest.html</link>`);
    expect(rss).toContain('<language>zh-CN</language>');
    const json = await (await get('/feeds/latest.json')).json() as Record<string, unknown>;
    expect(json.home_page_url).toBe(`${SITE_BASE}/feeds/latest.html`);
    expect(json.language).toBe('zh-CN');
  });

  it('links every feed page from the index, whose lang and words follow language:', async () => {
    const index = await (await get('/')).text();
    expect(index).toContain('<html lang="zh-CN">');
    expect(index).toContain(`href="${SITE_BASE}/feeds/latest.html"`);
    expect(index).toContain(`href="${SITE_BASE}/feeds/tags/${encodeURIComponent('新闻')}.html"`);
    expect(index).toContain(`href="${SITE_BASE}/feeds/sources/cn.html"`);
    expect(index).toContain('<h2>来源</h2>');
    expect(index).not.toContain('<h2>Sources</h2>');
  });

  it('answers an unknown path to a browser with an error page in the configured language', async () => {
    const res = await get('/nowhere', { accept: 'text/html' });
    expect(res.status).toBe(404);
    const html = await res.text();
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('404 · 未找到');
  });
});
