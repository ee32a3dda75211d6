// What crosses between the serving thread and the render worker: plain data only (structured clone). A render
// context holds one function, the rule tagger; the tags it gives each item cross instead, beside the items.
import type { Item } from '../model.ts';
import { compressedFeed, type FeedDocument, type KeptFeed, type RenderContext, type RenderedFeed, type SyndicationFormat } from '../render/render-feed.ts';

/** The context without its tagger: Maps and strings, which structured clone carries as they are. */
export type CrossedContext = Omit<RenderContext, 'ruleTags'>;

/** A document to render; its spec without the feed's item lists (`all` may hold every stored item). */
export interface CrossedDoc {
  doc: FeedDocument;
  /** per item of doc.items, the tags the config's rules give it; absent without rules */
  ruleTags?: (readonly string[])[];
}

/**
 * A rendered document's compressed forms and validators, its bytes as compact copies whose memory moves to the serving
 * thread (transferred, not copied). Not its body: a kept feed keeps only its compressed forms (render-feed.ts
 * compressedFeed), and the bodies of a start render at 100k items were 154 MiB the serving thread then held. No HTML
 * page: the serving thread makes it when asked for (render/html-pages.ts).
 */
export type CrossedFeed = Record<SyndicationFormat, Omit<RenderedFeed, 'body' | 'gzip' | 'brotli'> & { gzip: Uint8Array; brotli: Uint8Array }>;

/** main -> worker: the context of the render pass, once, then its documents in batches */
export type RenderRequest =
  | { type: 'context'; pass: number; ctx: CrossedContext; hasRuleTags: boolean }
  | { type: 'render'; pass: number; batch: number; docs: CrossedDoc[] };

/** worker -> main */
export type RenderReply =
  | { type: 'ready' }
  | { type: 'rendered'; batch: number; feeds: CrossedFeed[] }
  | { type: 'failed'; batch: number; message: string };

/** A document as it crosses: the spec keeps its names and titles, not its item lists (the doc's items are enough). */
export function crossDoc(doc: FeedDocument, ruleTags?: (item: Item) => readonly string[]): CrossedDoc {
  const spec = { ...doc.spec, items: [], all: [] };
  return { doc: { ...doc, spec }, ...(ruleTags ? { ruleTags: doc.items.map((item) => ruleTags(item)) } : {}) };
}

/** The RenderedFeed of each syndication format, its compressed forms as Buffers over the memory that crossed. */
export function uncrossFeed(crossed: CrossedFeed): KeptFeed {
  const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const feed = (format: SyndicationFormat) => {
    const { gzip, brotli, ...fields } = crossed[format];
    return compressedFeed(fields, buffer(gzip), buffer(brotli));
  };
  return { atom: feed('atom'), rss: feed('rss'), json: feed('json') };
}

/** What crosses back of a rendered feed: its validators and compressed forms, never its body (see CrossedFeed). */
export function crossFeed(feed: RenderedFeed, transfer: ArrayBuffer[]): CrossedFeed[SyndicationFormat] {
  // Named one by one: a rest spread would read the `body` getter, which makes the body again.
  const { gzip, brotli, etag, lastModified, contentType, bytes } = feed;
  return { etag, lastModified, contentType, bytes, gzip: compact(gzip, transfer), brotli: compact(brotli, transfer) };
}

/** A copy of exactly these bytes (a Buffer may be a view into a larger pool), whose memory is then transferred. */
function compact(bytes: Buffer, transfer: ArrayBuffer[]): Uint8Array {
  const copy = new Uint8Array(bytes);
  transfer.push(copy.buffer);
  return copy;
}
