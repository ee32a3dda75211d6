// Issue 15: the service keeps serving while a cycle reads a huge source, and a hostile document is contained in its
// read worker, and renders the feeds a big cycle changed without holding the loop. Through the real service (App
// listening on 127.0.0.1) and a real fixture server; how long the event loop is held is measured in-process, which is
// what every request arriving meanwhile waits (tests/helpers/loop-hold.ts: the process's own work, not the machine's).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ItemStore } from '../../src/store/store.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { generatedRss } from '../helpers/generated-feed.ts';
import { watchLoopHold } from '../helpers/loop-hold.ts';
import { startSampleSite, type SampleSite } from '../helpers/sample-site.ts';
import { sampleItem } from '../helpers/sample-items.ts';
import { rssFeed } from '../helpers/test-app.ts';

const HUGE_ITEMS = 12_000;
/** The issue asks < 100 ms; margin for a loaded 2-core machine. Main stalled ~750 ms here (2.3 s in the issue). */
const MAX_STALL_MS = 250;
/**
 * sources of the cycle whose render is timed: each changes its own feed and its tag's.
 * 50, not 150: rendered in one go on this thread (App.render() in place of renderYielding()) their
 * 101 feeds still held the loop 1.4 s of this thread's own work, far over the bound, and 150 sources cost this serial
 * file about twice the CPU.
 */
const MANY_SOURCES = 50;
/**
 * Measured as this process's own work (tests/helpers/loop-hold.ts): rendering 301 feeds in one go held the loop ~1.5 s; on
 * the render worker the serving thread only hands over the items, 8 documents at a time (~20 ms at most alone, ~100 ms
 * with a garbage collection in the middle while the full suite loads the machine). The issue's 100 ms is the bench's.
 */
const MAX_RENDER_HOLD_MS = MAX_STALL_MS;

const rss = { 'content-type': 'application/rss+xml' };

/** A full cycle at a size that shows each step after the fetches: 100k stored, 20k new, 20k pruned. */
const STORED_SOURCES = 100;
const STORED_PER_SOURCE = 1000;
const NEW_PER_SOURCE = 200;
/**
 * The issue's bound for any one hold of the serving thread (this process's own work, helpers/loop-hold.ts). On main
 * before round 3, following the cycle's changes in the feed index held it ~200 ms and pruning ~100 ms, each in one
 * go; in slices of 8 ms, what remains is a garbage collection now and then (30–50 ms with the suite beside it).
 */
const MAX_CYCLE_HOLD_MS = 100;

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

  it(`holds the serving thread under ${MAX_CYCLE_HOLD_MS} ms at a time through a cycle that adds ${STORED_SOURCES * NEW_PER_SOURCE} items to ${STORED_SOURCES * STORED_PER_SOURCE} stored and prunes as many, with the feeds a restart renders`, async () => {
    await fx.start();
    const ids = Array.from({ length: STORED_SOURCES }, (_, n) => `s${n}`);
    for (const id of ids) fx.routes.set(`/${id}.xml`, { headers: rss, body: generatedRss(id, NEW_PER_SOURCE) });
    // Ten tags over the sources: tag feeds of ~10k items each, besides the latest feed's 100k.
    const config = `title: Full Wire
baseUrl: http://tributary.test
retention:
  maxItemsPerSource: ${STORED_PER_SOURCE}
sources:
${ids.map((id, n) => `  - id: ${id}\n    url: ${fx.url(`/${id}.xml`)}\n    tags: [t${n % 10}]\n`).join('')}`;
    // Stored before the service starts, all older than anything the feeds list (those are from 2025-03-01 on).
    const dataDir = mkdtempSync(join(tmpdir(), 'tributary-full-cycle-'));
    const store = await ItemStore.open(dataDir);
    const before = (minutes: number) => new Date(Date.UTC(2025, 1, 1) - minutes * 60_000).toISOString();
    // One date string per item for its three dates (300,000 toISOString calls were ~0.3 CPU-s of this serial file).
    store.apply(ids.flatMap((id, s) => Array.from({ length: STORED_PER_SOURCE }, (_, i) => {
      const at = before(i * STORED_SOURCES + s);
      return sampleItem(i * STORED_SOURCES + s, {
        published: at, updated: at, firstSeen: at,
        id: `tag:tributary.test,2025:${id}/old-${i}`, sourceId: id, key: `g:old-${id}-${i}`, link: `https://${id}.example.com/old/${i}`,
        hash: `${id}-old-${i}`,
      });
    })), []);
    await store.commit();
    site = await startSampleSite(config, {}, dataDir);
    const stop = watchLoopHold();
    const report = await site.app.runCycle(undefined, { force: true });
    await setTimeout(20);
    const hold = stop();
    console.log(`cycle of ${report.added} new items over ${STORED_SOURCES * STORED_PER_SOURCE} stored, ${report.pruned?.byCount} pruned: event loop held ${hold.maxMs.toFixed(0)} ms at most by this process's work (${hold.maxWallMs.toFixed(0)} ms wall)`);
    expect(report.added).toBe(STORED_SOURCES * NEW_PER_SOURCE);
    expect(report.pruned?.byCount).toBe(STORED_SOURCES * NEW_PER_SOURCE);
    expect(site.app.store.size).toBe(STORED_SOURCES * STORED_PER_SOURCE);
    expect(hold.maxMs).toBeLessThan(MAX_CYCLE_HOLD_MS);

    // The feeds followed the changes in slices, and are what a restart renders from the store on disk at once.
    const paths = ['latest', 'tags/t3', 'sources/s42'];
    const served = await Promise.all(paths.map(async (path) => {
      const res = await fetch(`${site!.base}/feeds/${path}.atom`);
      return { etag: res.headers.get('etag'), body: await res.text() };
    }));
    expect(served[0]!.body).toContain(`story ${NEW_PER_SOURCE - 1}`);
    await site.app.close();
    site = await startSampleSite(config, { renderer: false }, dataDir);
    for (const [i, path] of paths.entries()) {
      const res = await fetch(`${site.base}/feeds/${path}.atom`);
      expect({ etag: res.headers.get('etag'), body: await res.text() }).toEqual(served[i]);
    }
  }, 300_000);

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
    site = await startSampleSite(configText(fx, ['a', 'b']), { readers: { size: 1, memoryLimitMb: 24 } });
    const report = await site.app.runCycle();
    const huge = report.sources.find((s) => s.sourceId === 'huge')!;
    expect(huge.state.lastError).toMatch(/^source huge \(.*\): parse ran out of its 24 MB memory/);
    expect(site.app.store.countOf('a')).toBe(4);
    expect(site.app.store.countOf('b')).toBe(4);
  }, 120_000);
});
