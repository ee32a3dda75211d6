// The HTML page of each feed is made on request from what a render keeps (render/html-pages.ts), not rendered and
// kept for every feed at every render (issue 15, goal 3): the same bytes and ETag a render of all four formats gives,
// the same again at every request while the feed does not change, and only a bounded number of pages in memory.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EMPTY_FEED_DATE } from '../../../src/render/feed-document.ts';
import { feedPage } from '../../../src/render/feed-pages.ts';
import { FeedSet } from '../../../src/render/feed-set.ts';
import { HTML_CACHE_BYTES, htmlPage, htmlPagesMade, keptHtmlBytes } from '../../../src/render/html-pages.ts';
import { renderFeed, stampHtml } from '../../../src/render/render-feed.ts';
import { renderFeedsYielding } from '../../../src/render/yielding-render.ts';
import { sampleContext, sampleItems, sampleSpec } from '../../helpers/sample-items.ts';

const NOW = Date.parse('2025-01-02T12:00:00.000Z');
/** items of the last hours, so that the page shows relative times ("3 hours ago"), which depend on the render's now */
const recentItems = (count: number, prefix = 'a', now = NOW, words = 30) => sampleItems(count, (n) => {
  const at = new Date(now - n * 3_600_000).toISOString();
  return { id: `tag:tributary.test,2025-01-01:${prefix}/${n}`, published: at, updated: at, summary: `<p>Summary ${prefix} ${n}: ${'words of the day. '.repeat(words)}</p>` };
});

describe('feed HTML pages made on request', () => {
  it('serves the bytes and ETag a render of all four formats gives, relative times as of the render, in every encoding', async () => {
    const items = recentItems(60);
    const spec = sampleSpec(items);
    const ctx = sampleContext({ now: NOW });
    const feeds = new FeedSet();
    feeds.update([spec], ctx, 50);
    const eager = renderFeed(feedPage(spec, spec.all, { page: 1 }, 50, items[0]!.updated, spec.count), ctx);
    const page = feeds.get(spec.path, 'html')!;
    expect(page.etag).toBe(eager.html.etag);
    expect(page.bytes).toBe(eager.html.bytes);
    expect(page.lastModified).toBe(eager.html.lastModified);
    expect(page.contentType).toBe(eager.html.contentType);
    expect(page.body.equals(eager.html.body)).toBe(true);
    expect(page.body.toString('utf8')).toContain('3 hours ago');
    expect(gunzipSync(page.gzip).equals(eager.html.body)).toBe(true);
    expect(brotliDecompressSync(page.brotli).equals(eager.html.body)).toBe(true);
  });

  it('keeps the "now" of the render: a page made hours later has the bytes and ETag of the render', async () => {
    const items = recentItems(10, 'a', Date.now());
    const spec = sampleSpec(items);
    // No fixed now: the render's clock, as in the service.
    const ctx = sampleContext();
    const [kept] = await renderFeedsYielding([feedPage(spec, spec.all, { page: 1 }, 50, EMPTY_FEED_DATE)], ctx);
    const rendered = Date.now();
    expect(kept!.html.now).toBeGreaterThan(rendered - 60_000);
    expect(kept!.html.now).toBeLessThanOrEqual(rendered);
    const doc = feedPage(spec, spec.all, { page: 1 }, 50, EMPTY_FEED_DATE);
    const expected = renderFeed(doc, { ...ctx, now: kept!.html.now }).html;
    const page = htmlPage(doc, ctx, kept!.html);
    expect(page.etag).toBe(expected.etag);
    expect(page.body.equals(expected.body)).toBe(true);
    // rendered again with a later clock, the relative times (and so the bytes) would differ
    expect(renderFeed(doc, { ...ctx, now: kept!.html.now + 5 * 3_600_000 }).html.etag).not.toBe(page.etag);
  });

  it('makes no page at a render, and a page asked for again is not made again while kept', () => {
    const specs = ['a', 'b', 'c'].map((prefix) => sampleSpec(recentItems(20, prefix), { path: `sources/${prefix}`, name: prefix }));
    const feeds = new FeedSet();
    const before = htmlPagesMade();
    feeds.update(specs, sampleContext({ now: NOW }), 50);
    expect(htmlPagesMade()).toBe(before);
    const first = feeds.get('sources/b', 'html')!;
    const etag = first.etag;
    const body = first.body;
    expect(htmlPagesMade()).toBe(before + 1);
    expect(feeds.get('sources/b', 'html')!.body).toBe(body);
    expect(feeds.get('sources/b', 'html')!.etag).toBe(etag);
    expect(htmlPagesMade()).toBe(before + 1);
    // a render that changes nothing keeps the page, and its ETag
    feeds.update(specs.map((spec) => ({ ...spec })), sampleContext({ now: NOW + 3_600_000 }), 50);
    expect(feeds.get('sources/b', 'html')!.etag).toBe(etag);
    expect(feeds.get('sources/b', 'html')!.body.equals(body)).toBe(true);
  });

  it('keeps at most HTML_CACHE_BYTES of pages, and a page pushed out comes back with the same bytes', () => {
    const ctx = sampleContext({ now: NOW });
    const pages = Array.from({ length: 60 }, (_, n) => {
      const spec = sampleSpec(recentItems(50, `p${n}`, NOW, 200), { path: `sources/p${n}`, name: `p${n}` });
      const doc = feedPage(spec, spec.all, { page: 1 }, 50, EMPTY_FEED_DATE);
      return htmlPage(doc, ctx, stampHtml(doc, ctx));
    });
    const first = Buffer.from(pages[0]!.body);
    let made = 0;
    for (const page of pages) {
      made += page.body.length;
      expect(keptHtmlBytes()).toBeLessThanOrEqual(HTML_CACHE_BYTES);
    }
    expect(made).toBeGreaterThan(HTML_CACHE_BYTES);
    expect(pages[0]!.body.equals(first)).toBe(true);
  });
});
