// What crosses between the serving thread and the render worker: plain data only (structured clone). A render
// context holds one function, the rule tagger; the tags it gives each item cross instead, beside the items.
import type { Item } from '../model.ts';
import type { FeedDocument, FeedFormat, RenderContext, RenderedFeed } from '../render/render-feed.ts';

/** The context without its tagger: Maps and strings, which structured clone carries as they are. */
export type CrossedContext = Omit<RenderContext, 'ruleTags'>;

/** A document to render; its spec without the feed's item lists (`all` may hold every stored item). */
export interface CrossedDoc {
  doc: FeedDocument;
  /** per item of doc.items, the tags the config's rules give it; absent without rules */
  ruleTags?: (readonly string[])[];
}

/** A rendered document's bytes, as compact copies whose memory moves to the serving thread (transferred, not copied). */
export type CrossedFeed = Record<FeedFormat, Omit<RenderedFeed, 'body' | 'gzip' | 'brotli'> & { body: Uint8Array; gzip: Uint8Array; brotli: Uint8Array }>;

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

/** The RenderedFeed of each format, its bytes as Buffers over the memory that crossed. */
export function uncrossFeed(crossed: CrossedFeed): Record<FeedFormat, RenderedFeed> {
  const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = {} as Record<FeedFormat, RenderedFeed>;
  for (const [format, feed] of Object.entries(crossed) as [FeedFormat, CrossedFeed[FeedFormat]][]) {
    out[format] = { ...feed, body: buffer(feed.body), gzip: buffer(feed.gzip), brotli: buffer(feed.brotli) };
  }
  return out;
}
