// The HTML page of each feed is made on request from what a render keeps (render/html-pages.ts), not rendered and
// kept for every feed at every render (issue 15, goal 3): the same bytes and ETag a render of all four formats gives,
// the same again at every request while the feed does not change, and only a bounded number of pages in memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EMPTY_FEED_DATE } from '../../../src/render/feed-document.ts';
import { feedPage } from '../../../src/render/feed-pages.ts';
import { FeedSet } from '../../../src/render/feed-set.ts';
import { HTML_CACHE_BYTES, htmlPage, htmlPagesMade, keptHtmlBytes } from '../../../src/render/html-pages.ts';
import { renderFeed } from '../../../src/render/render-feed.ts';
import { madeToKeep } from '../../../src/render/identity-bodies.ts';
import { RenderedDocs } from '../../../src/render/rendered-docs.ts';
import { sampleContext, sampleItems, sampleSpec } from '../../helpers/sample-items.ts';

/** The signature a feed's HTML page is kept on disk with (rendered-docs.ts), as a restart would read it back. */
const signatureOf = (feeds: FeedSet, path: string) => madeToKeep(feeds.get(path, 'html')!)!.signature!;

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

  it('keeps the "now" of the render: a page made hours later has the bytes and ETag of the render', () => {
    const items = recentItems(10, 'a', Date.now());
    const spec = sampleSpec(items);
    // No fixed now: the render's clock, as in the service.
    const ctx = sampleContext();
    const feeds = new FeedSet();
    const before = Date.now();
    feeds.update([spec], ctx, 50);
    const page = feeds.get(spec.path, 'html')!;
    const doc = feedPage(spec, spec.all, { page: 1 }, 50, items[0]!.updated, spec.count);
    // the page's relative times are those of a render at the time of update(), whatever the clock says later
    const candidates = [before, before + 1000].map((now) => renderFeed(doc, { ...ctx, now }).html);
    expect(candidates.map((c) => c.etag)).toContain(page.etag);
    const later = renderFeed(doc, { ...ctx, now: before + 5 * 3_600_000 }).html;
    expect(later.etag).not.toBe(page.etag);
    const expected = candidates.find((c) => c.etag === page.etag)!;
    expect(page.body.equals(expected.body)).toBe(true);
  });

  it('gives a feed unchanged since a restart its page of then (the same ETag), checked against the bytes once made', () => {
    const items = recentItems(10, 'a', Date.now());
    const spec = sampleSpec(items);
    const ctx = sampleContext();
    const first = new FeedSet();
    first.update([spec], { ...ctx, now: Date.now() - 2 * 3_600_000 }, 50);
    const kept = first.get(spec.path, 'html')!;
    const seed = { signature: signatureOf(first, spec.path), stamp: { etag: kept.etag, bytes: kept.bytes, now: Date.now() - 2 * 3_600_000 } };
    // the next run, two hours later, on the same items
    const next = new FeedSet();
    next.seedHtml((path) => (path === spec.path ? seed : undefined));
    next.update([{ ...spec }], ctx, 50);
    expect(next.get(spec.path, 'html')!.etag).toBe(kept.etag);
    expect(next.get(spec.path, 'html')!.body.equals(kept.body)).toBe(true);
    // a seed of another content is not used
    const other = new FeedSet();
    other.seedHtml(() => ({ ...seed, signature: 'another' }));
    other.update([{ ...spec }], ctx, 50);
    expect(other.get(spec.path, 'html')!.etag).not.toBe(kept.etag);
    // a seed whose bytes are not those its ETag names (another release wrote it) is corrected when the page is made
    const wrong = new FeedSet();
    wrong.seedHtml(() => ({ ...seed, stamp: { ...seed.stamp, etag: '"not-these-bytes"' } }));
    wrong.update([{ ...spec }], ctx, 50);
    expect(wrong.get(spec.path, 'html')!.etag).toBe(kept.etag);
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
      return htmlPage(doc, ctx, { now: NOW });
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

  it('keeps each page on disk with what a restart needs to make it again with the same bytes and ETag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-html-pages-'));
    try {
      const specs = ['a', 'b'].map((prefix) => sampleSpec(recentItems(20, prefix, Date.now()), { path: `sources/${prefix}`, name: prefix }));
      const ctx = sampleContext();
      const first = new FeedSet();
      first.update(specs, { ...ctx, now: Date.now() - 3 * 3_600_000 }, 50);
      const before = specs.map((spec) => first.get(spec.path, 'html')!);
      const made = htmlPagesMade();
      const docs = await RenderedDocs.open(dir, { key: 'k', stamp: 's', warn: () => {} });
      docs.save({ key: 'k', stamp: 's', items: 40, lastCycle: null, docs: new Map(specs.map((spec, i) => [`${spec.path}.html`, before[i]!])) });
      await docs.flush();
      // written without being made for readers: nothing went into the LRU of pages
      expect(htmlPagesMade()).toBe(made);
      const restarted = await RenderedDocs.open(dir, { key: 'k', stamp: 'the store changed', warn: () => {} });
      const next = new FeedSet();
      next.seedHtml((path) => restarted.htmlSeed(path));
      next.update(specs.map((spec) => ({ ...spec })), ctx, 50);
      specs.forEach((spec, i) => {
        expect(next.get(spec.path, 'html')!.etag).toBe(before[i]!.etag);
        expect(next.get(spec.path, 'html')!.body.equals(before[i]!.body)).toBe(true);
      });
      // another config: no seed
      expect((await RenderedDocs.open(dir, { key: 'other', stamp: 's', warn: () => {} })).htmlSeed('sources/a')).toBeUndefined();

      // a seed whose ETag does not name the bytes it makes (another release) is written, and kept, by its bytes
      const elsewhere = mkdtempSync(join(tmpdir(), 'tributary-html-pages-'));
      try {
        const wrong = new FeedSet();
        wrong.seedHtml((path) => {
          const seed = restarted.htmlSeed(path);
          return seed && { ...seed, stamp: { ...seed.stamp, etag: '"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"' } };
        });
        wrong.update(specs.map((spec) => ({ ...spec })), ctx, 50);
        const out = await RenderedDocs.open(elsewhere, { key: 'k', stamp: 's', warn: () => {} });
        out.save({ key: 'k', stamp: 's', items: 40, lastCycle: null, docs: new Map([['sources/a.html', wrong.get('sources/a', 'html')!]]) });
        await out.flush();
        const back = await (await RenderedDocs.open(elsewhere, { key: 'k', stamp: 's', warn: () => {} })).get('sources/a.html');
        expect(back?.etag).toBe(before[0]!.etag);
        expect(back?.body.equals(before[0]!.body)).toBe(true);
      } finally {
        rmSync(elsewhere, { recursive: true, force: true });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
