// A fetch cycle stops the idle render worker before it fetches (app.ts beforeFetching), so the worker's heap is not
// held beside the read workers' for the 30 s of its idle time (issue 15, memory); the cycle's render starts it again.
// A real worker thread rendering real documents.
import { afterEach, describe, expect, it } from 'vitest';
import { EMPTY_FEED_DATE } from '../../src/render/feed-document.ts';
import { feedPage } from '../../src/render/feed-pages.ts';
import { renderKept } from '../../src/render/render-feed.ts';
import { RenderThread } from '../../src/workers/render-thread.ts';
import { sampleContext, sampleItems, sampleSpec } from '../helpers/sample-items.ts';

const threads: RenderThread[] = [];
afterEach(async () => {
  await Promise.all(threads.splice(0).map((t) => t.close()));
});

function docs(count: number) {
  const items = sampleItems(count * 10);
  const spec = sampleSpec(items);
  return Array.from({ length: count }, (_, n) => feedPage(spec, items, { page: n + 1 }, 10, EMPTY_FEED_DATE));
}

describe('RenderThread.stopIdle', () => {
  it('stops a worker with nothing to render, and the next render starts it again with the same bytes', async () => {
    const failures: Error[] = [];
    // idleMs of an hour: only stopIdle() can stop it within the test
    const thread = new RenderThread({ minDocs: 1, idleMs: 3_600_000, onFallback: (err) => failures.push(err) });
    threads.push(thread);
    const ctx = sampleContext();
    const first = await thread.render(docs(3), ctx);
    expect(thread.running).toBe(true);
    await thread.stopIdle();
    expect(thread.running).toBe(false);
    const again = await thread.render(docs(3), ctx);
    expect(thread.running).toBe(true);
    expect(again.map((f) => f.atom.etag)).toEqual(first.map((f) => f.atom.etag));
    expect(again[0]!.atom.etag).toBe(renderKept(docs(3)[0]!, ctx).atom.etag);
    expect(failures).toEqual([]);
  });

  it('leaves a worker that is rendering alone', async () => {
    const failures: Error[] = [];
    const thread = new RenderThread({ minDocs: 1, idleMs: 3_600_000, onFallback: (err) => failures.push(err) });
    threads.push(thread);
    const rendering = thread.render(docs(200), sampleContext());
    await new Promise((resolve) => setTimeout(resolve, 50));
    await thread.stopIdle();
    expect(await rendering).toHaveLength(200);
    expect(failures).toEqual([]);
    expect(thread.running).toBe(true);
  });
});
