// The HTML page of every feed (html-view.ts), made when it is asked for rather than at every render. Feed readers
// poll the Atom, RSS and JSON forms of every feed; browsers read a few pages. Rendered and kept for every feed, the
// pages' compressed forms held ~20–35 MiB at 100k stored items (issue 15, goal 3), and rendering them took the
// render worker a quarter of its time. A page is made from the document and context of the render it belongs to,
// with the "now" of that render for its relative times, so it has the same bytes and ETag at every request until
// the feed is rendered again; the pages made last are kept, up to HTML_CACHE_BYTES.
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { documentUpdated, type FeedDocument, type RenderContext } from './feed-document.ts';
import { renderHtmlView } from './html-view.ts';
import { keepMadeBy } from './identity-bodies.ts';
import { BROTLI_OPTIONS, CONTENT_TYPES, exactSize, strongEtag, type RenderedFeed } from './render-feed.ts';

/**
 * Bytes of pages kept at most (body and the compressed forms asked for). A page of 50 long summaries is ~100 KB
 * uncompressed: 8 MiB keeps the last ~80 pages asked for, more than people read between two renders of them.
 */
export const HTML_CACHE_BYTES = 8 * 1024 * 1024;

/** What names a page's bytes: its validators and the "now" its relative times were written at. */
export interface HtmlStamp {
  etag: string;
  bytes: number;
  now: number;
}

export interface HtmlPageOptions {
  /** the "now" of the page's relative times: the render's */
  now: number;
  /** the signature of the feed (feed-set.ts signer), kept with the page on disk */
  signature?: string;
  /**
   * the stamp the page had before a restart, when the feed's signature is the same (rendered-docs.ts): the page is
   * made with its "now", so it gets its ETag again. Checked against the bytes when the page is first made.
   */
  seed?: HtmlStamp;
}

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

/** The page of `doc`, made on request: the object stands for it until the feed is rendered again. */
export function htmlPage(doc: FeedDocument, ctx: RenderContext, options: HtmlPageOptions): RenderedFeed {
  const now = options.seed?.now ?? options.now;
  const render = () => Buffer.from(renderHtmlView(doc, { ...ctx, now }), 'utf8');
  /** known once the page was made, or seeded (then `checked` only once made) */
  let stamp: HtmlStamp | undefined = options.seed;
  let checked = false;
  const stamped = (body: Buffer) => {
    stamp = { etag: strongEtag(body), bytes: body.length, now };
    checked = true;
  };
  const get = (): Made => {
    let m = made.get(page);
    if (!m) {
      pagesMade++;
      m = { body: render() };
      // A seed from before a restart is replaced by what the bytes say (a release that writes pages otherwise).
      stamped(m.body);
      made.set(page, m);
    }
    return m;
  };
  const known = () => (stamp && checked ? stamp : (get(), stamp!));
  const page: RenderedFeed = {
    get etag() {
      return known().etag;
    },
    get bytes() {
      return known().bytes;
    },
    lastModified: documentUpdated(doc).toUTCString(),
    contentType: CONTENT_TYPES.html,
    get body() {
      return get().body;
    },
    get gzip() {
      const m = get();
      return m.gzip ?? compress(page, m, 'gzip');
    },
    get brotli() {
      const m = get();
      return m.brotli ?? compress(page, m, 'brotli');
    },
  };
  // Kept on disk after every render: by the stamp when known (a seeded page's file is there already), else made
  // once for it, and not kept in the LRU, whose room is for the pages readers ask for.
  keepMadeBy(page, () => {
    let body: Buffer | undefined;
    if (!stamp) {
      body = render();
      stamped(body);
    }
    const { etag, bytes } = stamp!;
    return { etag, bytes, now, ...(options.signature ? { signature: options.signature } : {}), body: () => body ?? made.peek(page)?.body ?? render() };
  });
  return page;
}

function compress(page: object, m: Made, form: 'gzip' | 'brotli'): Buffer {
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
