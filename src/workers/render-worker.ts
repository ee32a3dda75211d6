// Entry of the render worker (workers/render-thread.ts): renders feed documents in the three syndication formats (not their HTML pages, made on request) and
// compresses them, off the serving thread, with renderFeed() itself, so the bytes and ETags are the ones the
// serving thread would have made. It runs at a lower CPU priority than the serving thread: on a busy machine,
// requests go first and rendering takes the time left.
import { parentPort } from 'node:worker_threads';
import type { Item } from '../model.ts';
import { renderKept, type RenderContext } from '../render/render-feed.ts';
import { crossFeed, type CrossedContext, type CrossedFeed, type RenderReply, type RenderRequest } from './render-task.ts';

const port = parentPort;
if (!port) throw new Error('render-worker.ts runs as a worker thread (workers/render-thread.ts starts it)');

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
      const rendered = renderKept(doc, ctx);
      const out: CrossedFeed = {
        atom: crossFeed(rendered.atom, transfer), rss: crossFeed(rendered.rss, transfer), json: crossFeed(rendered.json, transfer),
      };
      return out;
    });
    reply({ type: 'rendered', batch: request.batch, feeds }, transfer);
  } catch (err) {
    reply({ type: 'failed', batch: request.batch, message: (err as Error).message });
  }
});

function reply(message: RenderReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

reply({ type: 'ready' });
