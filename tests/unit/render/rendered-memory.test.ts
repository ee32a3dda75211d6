// What a rendered feed kept for serving holds in memory (issue 15, goal 3): its compressed forms in buffers of their
// own size, and no uncompressed body beyond a small LRU, while every encoding still serves the same bytes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EMPTY_FEED_DATE } from '../../../src/render/feed-document.ts';
import { feedPage } from '../../../src/render/feed-pages.ts';
import { IDENTITY_CACHE_BYTES, keptIdentityBytes } from '../../../src/render/identity-bodies.ts';
import { RenderedDocs } from '../../../src/render/rendered-docs.ts';
import { FEED_FORMATS, prepared, renderFeed, strongEtag, type KeptFeed, type SyndicationFormat } from '../../../src/render/render-feed.ts';
import { renderFeedsYielding } from '../../../src/render/yielding-render.ts';
import { RenderThread } from '../../../src/workers/render-thread.ts';
import { sampleContext, sampleItems, sampleSpec } from '../../helpers/sample-items.ts';

setFlagsFromString('--expose-gc');
const forcedGc = runInNewContext('gc') as () => void;

/** A full collection once this job is over: WeakRef targets are kept alive until the end of the job that made them. */
async function gc(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  forcedGc();
}

function renderedSample(count: number) {
  const items = sampleItems(count, (n) => ({ content: `<p>Article ${n}: ${'the council met and talked about the budget. '.repeat(40)}</p>` }));
  const spec = sampleSpec(items);
  return renderFeed(feedPage(spec, items, { page: 1 }, 50, EMPTY_FEED_DATE), sampleContext());
}

describe('rendered feeds in memory', () => {
  it('keeps each compressed form in a buffer of its own size, not a slice of zlib\'s output chunk', () => {
    const rendered = renderedSample(3);
    for (const format of FEED_FORMATS) {
      for (const compressed of [rendered[format].gzip, rendered[format].brotli]) {
        expect(compressed.length).toBeGreaterThan(0);
        // Before: a few KB of output held a 16 KiB (gzip) or larger (brotli) chunk each.
        expect(compressed.buffer.byteLength - compressed.length).toBeLessThan(8 * 1024);
        expect(compressed.byteOffset === 0 || compressed.buffer.byteLength <= 8 * 1024).toBe(true);
      }
    }
  });

  it('serves the same bytes and ETag uncompressed, gzipped and brotli-compressed', () => {
    const rendered = renderedSample(50);
    for (const format of FEED_FORMATS) {
      const doc = rendered[format];
      const body = doc.body;
      expect(body.length).toBe(doc.bytes);
      expect(strongEtag(body)).toBe(doc.etag);
      expect(gunzipSync(doc.gzip).equals(body)).toBe(true);
      expect(brotliDecompressSync(doc.brotli).equals(body)).toBe(true);
      // Asked again (from the LRU or made again), the body is the same bytes.
      expect(doc.body.equals(body)).toBe(true);
    }
  });

  it('does not keep the uncompressed body of a feed compressed at render time', async () => {
    let body: Buffer | undefined = Buffer.from('<feed>'.padEnd(256 * 1024, 'x'));
    const text = body.toString('utf8');
    const ref = new WeakRef(body);
    const doc = prepared(body, strongEtag(body), 'application/atom+xml', new Date(EMPTY_FEED_DATE), 'now');
    body = undefined;
    await gc();
    expect(ref.deref()).toBeUndefined();
    // …and still gives its bytes when a reader asks for them uncompressed.
    expect(doc.body.toString('utf8')).toBe(text);
    expect(doc.bytes).toBe(256 * 1024);
  });

  it('keeps at most IDENTITY_CACHE_BYTES of bodies made again for uncompressed requests', async () => {
    const size = 1024 * 1024;
    const docs = Array.from({ length: Math.ceil((2 * IDENTITY_CACHE_BYTES) / size) }, (_, n) => {
      const body = Buffer.from(`<feed>${n}`.padEnd(size, 'y'));
      return prepared(body, strongEtag(body), 'application/atom+xml', new Date(EMPTY_FEED_DATE), 'now');
    });
    const refs = docs.map((doc) => new WeakRef(doc.body));
    await gc();
    const kept = refs.filter((ref) => ref.deref() !== undefined).length;
    expect(kept * size).toBeLessThanOrEqual(IDENTITY_CACHE_BYTES);
    expect(kept).toBeGreaterThan(0);
  });
});

// The feeds of a render pass come back from the render worker (workers/render-thread.ts) or from the serving thread,
// a few at a time (render/yielding-render.ts). Either way what is kept until the next render is the compressed
// forms: at 100k items the start render's uncompressed bodies were 154 MiB the serving thread held besides them.
// No HTML page: it is made on request (render/html-pages.ts).
describe('feeds kept after a render pass', () => {
  const NOW = Date.parse('2026-03-02T12:00:00Z');
  const context = () => sampleContext({ now: NOW });
  const docs = () => {
    const items = sampleItems(120, (n) => ({ content: `<p>Article ${n}: ${'the council met and talked about the budget. '.repeat(20)}</p>` }));
    const spec = sampleSpec(items);
    return [1, 2, 3].map((page) => feedPage(spec, items, { page }, 50, EMPTY_FEED_DATE));
  };
  const SYNDICATION: SyndicationFormat[] = ['atom', 'rss', 'json'];

  /** The body is made on request (an accessor), not a buffer the feed holds. */
  const holdsBody = (doc: object) => Object.getOwnPropertyDescriptor(doc, 'body')?.get === undefined;

  async function expectCompressedOnly(rendered: KeptFeed[]) {
    const ctx = context();
    const pages = docs();
    expect(rendered).toHaveLength(pages.length);
    rendered.forEach((kept, i) => {
      const expected = renderFeed(pages[i]!, ctx);
      for (const format of SYNDICATION) {
        const doc = kept[format];
        expect(holdsBody(doc)).toBe(false);
        expect(doc.etag).toBe(expected[format].etag);
        expect(doc.bytes).toBe(expected[format].bytes);
        expect(doc.body.equals(expected[format].body)).toBe(true);
        expect(gunzipSync(doc.gzip).equals(expected[format].body)).toBe(true);
      }
      // No HTML page: it is made when asked for (render/html-pages.ts).
      expect(Object.keys(kept).sort()).toEqual(['atom', 'json', 'rss']);
    });
  }

  it('keeps no uncompressed body of a feed rendered on the render worker, and no HTML page', async () => {
    const thread = new RenderThread({ minDocs: 1 });
    try {
      await expectCompressedOnly(await thread.render(docs(), context()));
    } finally {
      await thread.close();
    }
  });

  it('keeps no uncompressed body of a feed rendered on the serving thread between requests, and no HTML page', async () => {
    await expectCompressedOnly(await renderFeedsYielding(docs(), context()));
  });
});

describe('keeping the rendered documents on disk', () => {
  it('writes each document\'s bytes without keeping its body in the LRU of uncompressed bodies', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-rendered-memory-'));
    try {
      const docs = new Map(Array.from({ length: 8 }, (_, n) => {
        const body = Buffer.from(`<feed>${n}</feed>`.padEnd(64 * 1024, ' '));
        return [`sources/s${n}.atom`, prepared(body, strongEtag(body), 'application/atom+xml', new Date(EMPTY_FEED_DATE), 'now')] as const;
      }));
      const kept = keptIdentityBytes();
      const rendered = await RenderedDocs.open(dir, { key: 'k', stamp: 's', warn: () => {} });
      rendered.save({ key: 'k', stamp: 's', items: 8, lastCycle: null, docs });
      await rendered.flush();
      // Before: every body written went through the LRU, pushing out the ones readers asked for.
      expect(keptIdentityBytes()).toBe(kept);
      const again = await RenderedDocs.open(dir, { key: 'k', stamp: 's', warn: () => {} });
      for (const [name, doc] of docs) {
        const read = await again.get(name);
        expect(read?.etag).toBe(doc.etag);
        expect(read?.body.equals(doc.body)).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
