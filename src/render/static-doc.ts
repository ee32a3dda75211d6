import { createHash } from 'node:crypto';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { BROTLI_OPTIONS, type RenderedFeed } from './render-feed.ts';

/**
 * A page (HTML index, OPML) prepared like a feed: bytes, compressed forms and validators. When the text is
 * unchanged the previous document is returned as is, keeping its Last-Modified.
 */
export function renderStaticDoc(text: string, contentType: string, previous: RenderedFeed | undefined): RenderedFeed {
  const body = Buffer.from(text, 'utf8');
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
  if (previous && previous.etag === etag) return previous;
  return {
    body,
    gzip: gzipSync(body),
    brotli: brotliCompressSync(body, BROTLI_OPTIONS(body.length)),
    etag,
    lastModified: new Date(Math.floor(Date.now() / 1000) * 1000).toUTCString(),
    contentType,
  };
}
