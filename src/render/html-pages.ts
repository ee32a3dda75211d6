// The HTML page of every feed (html-view.ts), made when a reader asks for it rather than at every render. A render
// keeps only each page's stamp (validators and the "now" its relative times were written at, render-feed.ts
// stampHtml); the bytes are made again from the same document and context, so they are the bytes the render
// hashed, under the same ETag, until the feed changes. Browsers read a few pages; feed readers poll the Atom, RSS
// and JSON forms of all of them. Kept for every feed, the pages' compressed forms were ~20–35 MiB at 100k stored
// items (issue 15, goal 3); here only the most recently asked for are kept, up to HTML_CACHE_BYTES.
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { bodyMadeBy } from './identity-bodies.ts';
import { renderHtmlView } from './html-view.ts';
import { BROTLI_OPTIONS, CONTENT_TYPES, exactSize, type FeedDocument, type HtmlStamp, type RenderContext, type RenderedFeed } from './render-feed.ts';

/**
 * Bytes of pages kept at most (body and the compressed forms asked for). A page of 50 long summaries is ~100 KB
 * uncompressed: 8 MiB keeps the last ~80 pages asked for, more than people read between two renders of them.
 */
export const HTML_CACHE_BYTES = 8 * 1024 * 1024;

interface Made {
  body: Buffer;
  gzip?: Buffer;
  brotli?: Buffer;
}

const made = new LRUCache<object, Made>({
  maxSize: HTML_CACHE_BYTES,
  sizeCalculation: (page) => page.body.length + (page.gzip?.length ?? 0) + (page.brotli?.length ?? 0) || 1,
});

/** pages made for readers since start (cache misses), for tests */
let pagesMade = 0;

/**
 * The page of `doc` as `stamp` names it, made on request. The object stands for the page until the feed is rendered
 * again; what it made is kept in the LRU under it.
 */
export function htmlPage(doc: FeedDocument, ctx: RenderContext, stamp: HtmlStamp): RenderedFeed {
  const render = () => Buffer.from(renderHtmlView(doc, { ...ctx, now: stamp.now }), 'utf8');
  const get = (page: object) => madeOf(page, render);
  const page: RenderedFeed = {
    etag: stamp.etag,
    bytes: stamp.bytes,
    lastModified: stamp.lastModified,
    contentType: CONTENT_TYPES.html,
    get body() {
      return get(page).body;
    },
    get gzip() {
      const m = get(page);
      return m.gzip ?? compressed(page, m, 'gzip');
    },
    get brotli() {
      const m = get(page);
      return m.brotli ?? compressed(page, m, 'brotli');
    },
  };
  // Keeping the pages on disk (rendered-docs.ts) needs each body once: made for that, not kept in the LRU.
  bodyMadeBy(page, () => made.peek(page)?.body ?? render());
  return page;
}

function madeOf(page: object, render: () => Buffer): Made {
  let m = made.get(page);
  if (!m) {
    pagesMade++;
    m = { body: render() };
    made.set(page, m);
  }
  return m;
}

function compressed(page: object, m: Made, form: 'gzip' | 'brotli'): Buffer {
  const bytes = form === 'gzip' ? exactSize(gzipSync(m.body)) : exactSize(brotliCompressSync(m.body, BROTLI_OPTIONS(m.body.length)));
  m[form] = bytes;
  // Set again so that the LRU counts the compressed form too.
  made.set(page, m);
  return bytes;
}

/** Pages made since start: a page asked for again while kept is not made again. */
export function htmlPagesMade(): number {
  return pagesMade;
}

/** Bytes of pages kept now (at most HTML_CACHE_BYTES). */
export function keptHtmlBytes(): number {
  return made.calculatedSize;
}
