// Entry of the render worker (workers/render-thread.ts): renders feed documents in the three formats and
// compresses them, off the serving thread, with renderFeed() itself, so the bytes and ETags are the ones the
// serving thread would have made. It runs at a lower CPU priority than the serving thread: on a busy machine,
// requests go first and rendering takes the time left.
import { parentPort, workerData } from 'node:worker_threads';
import type { Item } from '../model.ts';
import { renderFeed, type FeedFormat, type RenderContext } from '../render/render-feed.ts';
import { lowerPriority } from './priority.ts';
import type { CrossedContext, CrossedFeed, RenderReply, RenderRequest } from './render-task.ts';

const port = parentPort;
if (!port) throw new Error('render-worker.ts runs as a worker thread (workers/render-thread.ts starts it)');

lowerPriority((workerData as { niceness?: number } | undefined)?.niceness);

let context: { pass: number; ctx: CrossedContext; hasRuleTags: boolean } | undefined;

port.on('message', (request: RenderRequest) => {
  if (request.type === 'context') {
    context = request;
    return;
  }
  try {
    if (context?.pass !== request.pass) throw new Error(`render pass ${request.pass} came without its context`);
    const transfer: ArrayBuffer[] = [];
    const feeds = request.docs.map(({ doc, ruleTags }) => {
      const tags = new Map<Item, readonly string[]>();
      if (ruleTags) doc.items.forEach((item, i) => tags.set(item, ruleTags[i] ?? []));
      const ctx: RenderContext = { ...context!.ctx, ...(context!.hasRuleTags ? { ruleTags: (item: Item) => tags.get(item) ?? [] } : {}) };
      const rendered = renderFeed(doc, ctx);
      const out = {} as CrossedFeed;
      for (const format of Object.keys(rendered) as FeedFormat[]) {
        const { body, gzip, brotli, ...validators } = rendered[format];
        out[format] = { ...validators, body: compact(body, transfer), gzip: compact(gzip, transfer), brotli: compact(brotli, transfer) };
      }
      return out;
    });
    reply({ type: 'rendered', batch: request.batch, feeds }, transfer);
  } catch (err) {
    reply({ type: 'failed', batch: request.batch, message: (err as Error).message });
  }
});

/** A copy of exactly these bytes (a Buffer may be a view into a larger pool), whose memory is then transferred. */
function compact(bytes: Buffer, transfer: ArrayBuffer[]): Uint8Array {
  const copy = new Uint8Array(bytes);
  transfer.push(copy.buffer);
  return copy;
}

function reply(message: RenderReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

reply({ type: 'ready' });
