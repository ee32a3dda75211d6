// What a rendered feed kept for serving holds in memory (issue 15, goal 3): its compressed forms in buffers of their
// own size, and no uncompressed body beyond a small LRU, while every encoding still serves the same bytes.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EMPTY_FEED_DATE } from '../../../src/render/feed-document.ts';
import { feedPage } from '../../../src/render/feed-pages.ts';
import { IDENTITY_CACHE_BYTES } from '../../../src/render/identity-bodies.ts';
import { FEED_FORMATS, prepared, renderFeed, strongEtag } from '../../../src/render/render-feed.ts';
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
