// Issue 15: the service keeps serving while a cycle reads a huge source, and a hostile document is contained in its
// read worker, and renders the feeds a big cycle changed without holding the loop. Through the real service (App
// listening on 127.0.0.1) and a real fixture server; how long the event loop is held is measured in-process, which is
// what every request arriving meanwhile waits (tests/helpers/loop-hold.ts: the process's own work, not the machine's).
import { setTimeout } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { generatedRss } from '../helpers/generated-feed.ts';
import { watchLoopHold } from '../helpers/loop-hold.ts';
import { startSampleSite, type SampleSite } from '../helpers/sample-site.ts';
import { rssFeed } from '../helpers/test-app.ts';

const HUGE_ITEMS = 12_000;
/** The issue asks < 100 ms; margin for a loaded 2-core machine. Main stalled ~750 ms here (2.3 s in the issue). */
const MAX_STALL_MS = 250;
/** sources of the cycle whose render is timed: each changes its own feed and its tag's, ~1 s of rendering in all */
const MANY_SOURCES = 150;
/**
 * Measured as this process's own work (tests/helpers/loop-hold.ts): rendering them in one go held the loop ~1.5 s; on
 * the render worker the serving thread only hands over the items, 8 documents at a time (~20 ms at most alone, ~100 ms
 * with a garbage collection in the middle while the full suite loads the machine). The issue's 100 ms is the bench's.
 */
const MAX_RENDER_HOLD_MS = MAX_STALL_MS;

const rss = { 'content-type': 'application/rss+xml' };

function configText(fx: FixtureServer, small: string[]): string {
  return `title: Big Wire
baseUrl: http://tributary.test
fetch:
  maxBytes: 20000000
retention:
  maxItemsPerSource: ${HUGE_ITEMS}
sources:
  - id: huge
    url: ${fx.url('/huge.xml')}
${small.map((id) => `  - id: ${id}\n    url: ${fx.url(`/${id}.xml`)}\n`).join('')}`;
}

describe('serving during a fetch cycle', () => {
  const fx = new FixtureServer();
  let site: SampleSite | undefined;

  afterEach(async () => {
    await site?.app.close();
    site = undefined;
    await fx.stop();
  });

  it(`answers /healthz without a stall over ${MAX_STALL_MS} ms while a ${HUGE_ITEMS}-item source is read again`, async () => {
    await fx.start();
    fx.routes.set('/huge.xml', { headers: rss, body: generatedRss('huge', HUGE_ITEMS) });
    fx.routes.set('/small.xml', { headers: rss, body: rssFeed('small', 5) });
    site = await startSampleSite(configText(fx, ['small']));
    // The first cycle stores the items; the one timed is the steady state: the source listed and parsed again.
    await site.app.runCycle();
    let polling = true;
    const trips: number[] = [];
    const poller = (async () => {
      while (polling) {
        const start = performance.now();
        await (await fetch(`${site!.base}/healthz`)).arrayBuffer();
        trips.push(performance.now() - start);
        await setTimeout(5);
      }
    })();
    const stop = watchLoopHold();
    const report = await site.app.runCycle(undefined, { force: true });
    // A hold at the very end of the cycle (its render) shows only once the watch's timer fires after it.
    await setTimeout(20);
    const stallMs = stop().maxMs;
    polling = false;
    await poller;
    console.log(`huge source read again: event loop max stall ${stallMs.toFixed(0)} ms, /healthz max ${Math.max(...trips).toFixed(0)} ms over ${trips.length} requests`);
    expect(report.sources.map((s) => [s.sourceId, s.status]).sort()).toEqual([['huge', 'ok'], ['small', 'ok']]);
    expect(report.sources.find((s) => s.sourceId === 'huge')!.state.itemsSeen).toBe(HUGE_ITEMS);
    expect(trips.length).toBeGreaterThan(5);
    expect(stallMs).toBeLessThan(MAX_STALL_MS);
  }, 120_000);

  it(`renders the ${MANY_SOURCES * 2 + 1} feeds a ${MANY_SOURCES}-source cycle changed without holding the event loop ${MAX_RENDER_HOLD_MS} ms, the same bytes as rendered in-thread`, async () => {
    await fx.start();
    const ids = Array.from({ length: MANY_SOURCES }, (_, n) => `s${n}`);
    for (const id of ids) fx.routes.set(`/${id}.xml`, { headers: rss, body: generatedRss(id, 30) });
    // Each source has its own tag too: a source feed and a tag feed per source, and the latest feed.
    const config = `title: Many Wire
baseUrl: http://tributary.test
sources:
${ids.map((id) => `  - id: ${id}\n    url: ${fx.url(`/${id}.xml`)}\n    tags: [t-${id}]\n`).join('')}`;
    site = await startSampleSite(config);
    await site.app.runCycle();
    // The cycle timed: every source lists 20 new items, so every feed is rendered again.
    for (const id of ids) fx.routes.set(`/${id}.xml`, { headers: rss, body: generatedRss(id, 30, 20) });
    const stop = watchLoopHold();
    const report = await site.app.runCycle(undefined, { force: true });
    await setTimeout(20);
    const hold = stop();
    const stallMs = hold.maxMs;
    console.log(`${report.rendered.length} feeds rendered again after a ${MANY_SOURCES}-source cycle: event loop held ${stallMs.toFixed(0)} ms at most by this process's work (${hold.maxWallMs.toFixed(0)} ms wall)`);
    expect(report.added).toBe(MANY_SOURCES * 20);
    expect(report.rendered).toHaveLength(MANY_SOURCES * 2 + 1);
    expect(stallMs).toBeLessThan(MAX_RENDER_HOLD_MS);

    // What the render worker made is what the serving thread makes: same ETags, same bytes.
    const served = await Promise.all(['latest', 'sources/s7', 'tags/t-s7'].map(async (path) => {
      const res = await fetch(`${site!.base}/feeds/${path}.atom`);
      return { etag: res.headers.get('etag'), body: await res.text() };
    }));
    const { dataDir } = site;
    await site.app.close();
    site = await startSampleSite(config, { renderer: false }, dataDir);
    for (const [i, path] of ['latest', 'sources/s7', 'tags/t-s7'].entries()) {
      const res = await fetch(`${site.base}/feeds/${path}.atom`);
      expect({ etag: res.headers.get('etag'), body: await res.text() }).toEqual(served[i]);
    }
    expect(served[1]!.body).toContain('s7 story 49');
  }, 120_000);

  it('drops a document that takes too long to read, names its source, replaces the worker and stores the other sources', async () => {
    await fx.start();
    fx.routes.set('/huge.xml', { headers: rss, body: generatedRss('huge', HUGE_ITEMS) });
    for (const id of ['a', 'b']) fx.routes.set(`/${id}.xml`, { headers: rss, body: rssFeed(id, 4) });
    // 12,000 items take seconds to read; no real feed comes near 300 ms with the small ones.
    site = await startSampleSite(configText(fx, ['a', 'b']), { readers: { size: 1, timeLimitMs: 300 } });
    const report = await site.app.runCycle();
    const huge = report.sources.find((s) => s.sourceId === 'huge')!;
    expect(huge.status).toBe('error');
    expect(huge.state.lastError).toMatch(/^source huge \(http:\/\/127\.0\.0\.1:\d+\/huge\.xml\): parse took longer than 300 ms/);
    expect(site.app.store.countOf('huge')).toBe(0);
    expect(site.app.store.countOf('a')).toBe(4);
    expect(site.app.store.countOf('b')).toBe(4);
  }, 120_000);

  it('drops a document that needs more memory than its worker may use, names its source, and stores the other sources', async () => {
    await fx.start();
    fx.routes.set('/huge.xml', { headers: rss, body: generatedRss('huge', HUGE_ITEMS) });
    for (const id of ['a', 'b']) fx.routes.set(`/${id}.xml`, { headers: rss, body: rssFeed(id, 4) });
    site = await startSampleSite(configText(fx, ['a', 'b']), { readers: { size: 1, memoryLimitMb: 32 } });
    const report = await site.app.runCycle();
    const huge = report.sources.find((s) => s.sourceId === 'huge')!;
    expect(huge.state.lastError).toMatch(/^source huge \(.*\): parse ran out of its 32 MB memory/);
    expect(site.app.store.countOf('a')).toBe(4);
    expect(site.app.store.countOf('b')).toBe(4);
  }, 120_000);
});
