// Renders many feed documents on the serving thread without holding it: a cycle of 1,000 sources changes 1,000
// feeds or more, and rendering them in one go (text, gzip and brotli of three formats each) held the event loop
// for seconds. Here the text of a few documents is made at a time, within a slice of a few milliseconds, then the
// loop gets its turn; the compressions run in libuv's thread pool (on the other cores), a few documents at a time.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { renderFormatAsync, type FeedDocument, type KeptFeed, type RenderContext, type SyndicationFormat } from './render-feed.ts';

/**
 * Longest run of rendering between two turns of the event loop. One document's text takes 1–3 ms (50 items of
 * Atom), so a slice is a few documents; requests waiting meanwhile wait no longer than this.
 */
export const RENDER_SLICE_MS = 8;
/** Documents being compressed at once: libuv's pool has 4 threads, and each in flight holds its bytes meanwhile. */
const IN_FLIGHT = 8;

export interface YieldingRenderOptions {
  sliceMs?: number;
}

/** Every document as renderKept() keeps it, the same bytes renderFeed() makes, in the order given. */
export async function renderFeedsYielding(docs: readonly FeedDocument[], ctx: RenderContext,
  options: YieldingRenderOptions = {}): Promise<KeptFeed[]> {
  const sliceMs = options.sliceMs ?? RENDER_SLICE_MS;
  const out: Promise<KeptFeed>[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let sliceStart = performance.now();
  for (const doc of docs) {
    if (performance.now() - sliceStart >= sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
    while (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    const rendered = renderDocument(doc, ctx);
    // Rejections surface through Promise.all below; this copy only tracks room in the pool.
    const tracked = rendered.then(() => undefined, () => undefined).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    out.push(rendered);
  }
  return Promise.all(out);
}

const SYNDICATION: readonly SyndicationFormat[] = ['atom', 'rss', 'json'];

async function renderDocument(doc: FeedDocument, ctx: RenderContext): Promise<KeptFeed> {
  // Each format's text is made now (renderFormatAsync renders before its first await); then all compress together.
  const [atom, rss, json] = await Promise.all(SYNDICATION.map((format) => renderFormatAsync(doc, ctx, format, 'compressed')));
  return { atom: atom!, rss: rss!, json: json! };
}
