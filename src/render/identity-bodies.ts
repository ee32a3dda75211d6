// The uncompressed bytes of the feeds kept ready for serving, made again from their gzip form when asked for.
// Measured at 100k stored items (1,000 sources, 3,153 documents): the uncompressed bodies held 154 MiB, their
// gzip and brotli forms 11 MiB together. Most readers ask for gzip or brotli; the few documents asked for
// uncompressed are kept in a small LRU, so a reader polling one feed without compression costs one gunzip per
// LRU lifetime, not one per request. gunzip(gzip(bytes)) is the bytes: ETags and bodies never change.
import { createGunzip, gunzipSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';

/**
 * Bytes of uncompressed bodies kept at most. A 50-item feed of full articles is ~200 KB: 16 MiB holds the ~80
 * most recently asked for, far more than the feeds readers poll uncompressed (browsers and curl, mostly).
 */
export const IDENTITY_CACHE_BYTES = 16 * 1024 * 1024;

const bodies = new LRUCache<object, Buffer>({
  maxSize: IDENTITY_CACHE_BYTES,
  sizeCalculation: (body) => body.length || 1,
});

/** Documents whose body is made from their gzip form on request (registered by render-feed.ts compressedFeed). */
const madeOnRequest = new WeakSet<object>();

/**
 * What keeping on disk (rendered-docs.ts) needs of a document whose bytes are made again on request (a feed's HTML
 * page, html-pages.ts): its validators and what its bytes were made from, and the bytes, made only when written.
 */
export interface MadeToKeep {
  etag: string;
  bytes: number;
  /** the "now" of the page's relative times */
  now: number;
  /** the signature of the feed it shows (feed-set.ts signer) */
  signature?: string;
  body: () => Buffer;
}

const keptBy = new WeakMap<object, () => MadeToKeep>();

/** `doc` is kept on disk by what `keep` tells. */
export function keepMadeBy(doc: object, keep: () => MadeToKeep): void {
  keptBy.set(doc, keep);
}

export function madeToKeep(doc: object): MadeToKeep | undefined {
  return keptBy.get(doc)?.();
}

/** `doc` keeps only its compressed forms; its `body` is identityBody(doc, gzip). */
export function bodyMadeOnRequest(doc: object): void {
  madeOnRequest.add(doc);
}

/**
 * The uncompressed body of `doc` without keeping it in the LRU: for a caller that needs each body once (keeping every
 * document on disk after a render, rendered-docs.ts), which would otherwise fill the LRU with bodies no reader asked
 * for, and push out the ones readers did. A body not at hand comes as it is gunzipped, in pieces of 64 KiB: made
 * whole, the 3,153 bodies written after a render at 100k items were up to ~30 MiB of buffers at a time waiting to be
 * collected, at the service's peak of memory (issue 15, goal 3).
 */
export function bodyOnce(doc: { readonly body: Buffer; readonly gzip: Buffer }): Buffer | AsyncIterable<Buffer> {
  if (!madeOnRequest.has(doc)) return doc.body;
  const kept = bodies.get(doc);
  if (kept) return kept;
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  gunzip.end(doc.gzip);
  return gunzip;
}

/** The uncompressed body of `doc` (any object standing for one document), from its gzip form when not kept. */
export function identityBody(doc: object, gzip: Buffer): Buffer {
  let body = bodies.get(doc);
  if (body === undefined) {
    body = gunzipSync(gzip);
    bodies.set(doc, body);
  }
  return body;
}

/** Bytes of uncompressed bodies kept now (at most IDENTITY_CACHE_BYTES). */
export function keptIdentityBytes(): number {
  return bodies.calculatedSize;
}
