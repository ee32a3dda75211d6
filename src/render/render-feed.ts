import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, constants as zlib, gzip, gzipSync } from 'node:zlib';
import { renderAtom } from './atom.ts';
import { renderHtmlView } from './html-view.ts';
import { bodyMadeOnRequest, identityBody } from './identity-bodies.ts';
import { documentUpdated, type FeedDocument, type FeedFormat, type RenderContext } from './feed-document.ts';
import { renderJson } from './json-feed.ts';
import { renderRss } from './rss.ts';

export { feedUrl, FEED_FORMATS, SYNDICATION_FORMATS, type FeedDocument, type FeedFormat, type PageLinks, type RenderContext, type SourceInfo } from './feed-document.ts';

export const CONTENT_TYPES: Record<FeedFormat, string> = {
  atom: 'application/atom+xml; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/** A feed ready to serve: bytes, precompressed variants and validators, computed once per render. */
export interface RenderedFeed {
  /** the uncompressed bytes; for feeds rendered now, made again from `gzip` when asked for (identity-bodies.ts) */
  readonly body: Buffer;
  /** body.length, known without making the body */
  readonly bytes: number;
  gzip: Buffer;
  brotli: Buffer;
  etag: string;
  lastModified: string;
  contentType: string;
}

const RENDERERS: Record<FeedFormat, (doc: FeedDocument, ctx: RenderContext) => string> = {
  atom: renderAtom,
  rss: renderRss,
  json: renderJson,
  html: renderHtmlView,
};

export type SyndicationFormat = Exclude<FeedFormat, 'html'>;

/**
 * What a render makes of a feed: its three syndication formats, ready to serve until the next render. Not its HTML
 * page: that is made when asked for, from the same document and context (html-pages.ts).
 */
export type KeptFeed = Record<SyndicationFormat, RenderedFeed>;

/** Renders one document in the four formats. Pure: the same document and context give the same bytes. */
export function renderFeed(doc: FeedDocument, ctx: RenderContext): Record<FeedFormat, RenderedFeed> {
  return {
    atom: renderFormat(doc, ctx, 'atom'),
    rss: renderFormat(doc, ctx, 'rss'),
    json: renderFormat(doc, ctx, 'json'),
    html: renderFormat(doc, ctx, 'html'),
  };
}

/** renderFeed() as a render keeps it: the syndication formats only (see KeptFeed). */
export function renderKept(doc: FeedDocument, ctx: RenderContext): KeptFeed {
  return { atom: renderFormat(doc, ctx, 'atom'), rss: renderFormat(doc, ctx, 'rss'), json: renderFormat(doc, ctx, 'json') };
}

/**
 * One format of a document as bytes and validators only, compressed by nobody and kept by nobody: what a renderer
 * that hands each document on at once (the PostgreSQL store's, shared-render.ts) makes. The same bytes and ETag as
 * renderFormat's; an HTML page written with `now` as its "now", as html-pages.ts makes it.
 */
export function renderBytes(doc: FeedDocument, ctx: RenderContext, format: FeedFormat, now: number): { body: Buffer; etag: string; lastModified: string; contentType: string } {
  const body = Buffer.from(RENDERERS[format](doc, format === 'html' ? { ...ctx, now } : ctx), 'utf8');
  return { body, etag: strongEtag(body), lastModified: documentUpdated(doc).toUTCString(), contentType: CONTENT_TYPES[format] };
}

export const BROTLI_OPTIONS = (size: number) => ({ params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: size } });

export function renderFormat(doc: FeedDocument, ctx: RenderContext, format: FeedFormat): RenderedFeed {
  return prepare(RENDERERS[format](doc, ctx), CONTENT_TYPES[format], documentUpdated(doc));
}

/**
 * renderFormat, with both compressions done in libuv's thread pool instead of on the event loop: for a view
 * made while other requests wait (a filtered view), where compressing a page of long items took up to 30 ms.
 * `keep` 'compressed' (a feed kept for serving until the next render) keeps only the compressed forms, as
 * renderFormat does; 'all' keeps the body too (a view, kept in a byte-bounded LRU, rendered once per request).
 */
export async function renderFormatAsync(doc: FeedDocument, ctx: RenderContext, format: FeedFormat, keep: 'all' | 'compressed' = 'all'): Promise<RenderedFeed> {
  const body = Buffer.from(RENDERERS[format](doc, ctx), 'utf8');
  const [gzipped, brotli] = (await Promise.all([gzipAsync(body), brotliAsync(body, BROTLI_OPTIONS(body.length))])).map(exactSize) as [Buffer, Buffer];
  const fields = { bytes: body.length, etag: strongEtag(body), lastModified: documentUpdated(doc).toUTCString(), contentType: CONTENT_TYPES[format] };
  return keep === 'compressed' ? compressedFeed(fields, gzipped, brotli) : { ...fields, body, gzip: gzipped, brotli };
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Bytes, both compressed forms and the validators, once; requests then only pick one. */
export function prepare(text: string, contentType: string, modified: Date): RenderedFeed {
  const body = Buffer.from(text, 'utf8');
  return prepared(body, strongEtag(body), contentType, modified, 'now');
}

/**
 * A ready document of `body`. Its compressed forms are made now (feeds: every reader wants them), or on the first
 * request that asks for one (pages rewritten more often than they are read). A document compressed now keeps only
 * its compressed forms: its body is made again from the gzip form when asked for (identity-bodies.ts).
 */
export function prepared(body: Buffer, etag: string, contentType: string, modified: Date, compress: 'now' | 'on-request'): RenderedFeed {
  // Measured (bench/ingest): gzip 9 and brotli 9 cost ten times the CPU of these settings for output within 1 %.
  const makeGzip = () => exactSize(gzipSync(body));
  const makeBrotli = () => exactSize(brotliCompressSync(body, BROTLI_OPTIONS(body.length)));
  const fields = { etag, lastModified: modified.toUTCString(), contentType, bytes: body.length };
  if (compress === 'now') return compressedFeed(fields, makeGzip(), makeBrotli());
  let gzip: Buffer | undefined;
  let brotli: Buffer | undefined;
  return {
    ...fields,
    body,
    get gzip() {
      return (gzip ??= makeGzip());
    },
    get brotli() {
      return (brotli ??= makeBrotli());
    },
  };
}

/**
 * A document kept by its compressed forms only, its body made again from `gzip` when asked for (identity-bodies.ts):
 * what every feed kept for serving is, whichever thread rendered it. Made apart from prepared(): a getter written
 * there would keep `body` alive through the closures it shares.
 */
export function compressedFeed(fields: Omit<RenderedFeed, 'body' | 'gzip' | 'brotli'>, gzip: Buffer, brotli: Buffer): RenderedFeed {
  const doc: RenderedFeed = {
    ...fields, gzip, brotli,
    get body() {
      return identityBody(doc, gzip);
    },
  };
  bodyMadeOnRequest(doc);
  return doc;
}

/**
 * A document held by its gzip form only (a follower's, store/pg/rendered.ts): its body made again from `gzip` when
 * asked for, as compressedFeed's, and its brotli form made on the first request that asks, then kept.
 */
export function gzippedFeed(fields: Omit<RenderedFeed, 'body' | 'gzip' | 'brotli'>, gzip: Buffer): RenderedFeed {
  let brotli: Buffer | undefined;
  const doc: RenderedFeed = {
    ...fields, gzip,
    get body() {
      return identityBody(doc, gzip);
    },
    get brotli() {
      if (brotli === undefined) {
        const body = identityBody(doc, gzip);
        brotli = exactSize(brotliCompressSync(body, BROTLI_OPTIONS(body.length)));
      }
      return brotli;
    },
  };
  bodyMadeOnRequest(doc);
  return doc;
}

/**
 * The bytes of `output` in a buffer of their own. zlib returns its result as a slice of the 16 KiB chunk (or larger)
 * it wrote into, and a slice keeps its whole chunk alive: 3,000 kept documents of a few KB each held ~88 MiB of
 * nothing. A copy is a few µs; a buffer that fills most of its memory is kept as it is.
 */
export function exactSize(output: Buffer): Buffer {
  return output.buffer.byteLength - output.length < 1024 ? output : Buffer.from(output);
}

/** A strong validator from the bytes themselves: the same bytes always get the same ETag, across restarts. */
export function strongEtag(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}
