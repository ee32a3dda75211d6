// Retention drops items; a source that still lists them must not bring them back as new, over several cycles
// and across a restart. And a quiet source keeps a minimum of items whatever their age.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, rssFeed, TestClock, type TestAppOptions, type TestSource } from '../helpers/test-app.ts';

const fx = new FixtureServer();
const opened: App[] = [];
beforeAll(async () => {
  await fx.start();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});
afterAll(async () => {
  await fx.stop();
});

async function open(sources: TestSource[], options: TestAppOptions, clock = new TestClock()) {
  const t = await openTestApp(sources, {}, clock, options);
  opened.push(t.app);
  return t;
}
const titles = (app: App) => app.store.items().map((i) => i.title).sort();
const FIFTEEN_MIN = 15 * 60_000;
const DAY = 24 * 3600_000;

describe('no resurrection after pruning', () => {
  it('an item dropped by the count limit and still listed does not come back on later fetches', async () => {
    fx.routes.set('/five.xml', { body: rssFeed('Five', 5) });
    const { app, clock } = await open([{ id: 'five', url: fx.url('/five.xml') }], { config: { retention: { maxItemsPerSource: 3 } } });
    const first = await app.runCycle();
    expect(first.pruned?.byCount).toBe(2);
    expect(titles(app)).toEqual(['Five 1', 'Five 2', 'Five 3']);
    for (let cycle = 0; cycle < 3; cycle++) {
      clock.advance(FIFTEEN_MIN);
      const next = await app.runCycle();
      expect(next.added).toBe(0);
      expect(next.pruned?.byCount).toBe(0);
      expect(next.written).toBe(false);
      expect(titles(app)).toEqual(['Five 1', 'Five 2', 'Five 3']);
    }
  });

  it('an item dropped by age stays dropped after a restart on the same data directory', async () => {
    fx.routes.set('/aging.xml', { body: rssFeed('Aging', 4) });
    const clock = new TestClock('2025-03-10T12:00:00.000Z');
    const options: TestAppOptions = { config: { retention: { maxAgeDays: 1, minItemsPerSource: 1 } } };
    const first = await open([{ id: 'aging', url: fx.url('/aging.xml') }], options, clock);
    await first.app.runCycle();
    expect(titles(first.app)).toHaveLength(4);
    clock.advance(2 * DAY);
    const aged = await first.app.runCycle();
    expect(aged.pruned?.byAge).toBe(3);
    expect(titles(first.app)).toEqual(['Aging 1']);
    opened.splice(opened.indexOf(first.app), 1);
    await first.app.close();

    const again = await open([{ id: 'aging', url: fx.url('/aging.xml') }], { ...options, dataDir: first.dataDir }, clock);
    clock.advance(FIFTEEN_MIN);
    const report = await again.app.runCycle();
    expect(report.added).toBe(0);
    expect(titles(again.app)).toEqual(['Aging 1']);
  });

  it('forgets a pruned key only long after the source stopped listing it', async () => {
    fx.routes.set('/rolling.xml', { body: rssFeed('Rolling', 3) });
    const { app, clock } = await open([{ id: 'rolling', url: fx.url('/rolling.xml') }], { config: { retention: { maxItemsPerSource: 2 } } });
    await app.runCycle();
    expect(Object.keys(app.store.sourceState('rolling').prunedKeys ?? {})).toHaveLength(1);
    // Still listed 40 days on: still remembered.
    clock.advance(40 * DAY);
    await app.runCycle();
    expect(Object.keys(app.store.sourceState('rolling').prunedKeys ?? {})).toHaveLength(1);
    // No longer listed: remembered for 30 days after it was last seen, then forgotten.
    fx.routes.set('/rolling.xml', { body: rssFeed('Rolling', 2) });
    clock.advance(29 * DAY);
    await app.runCycle();
    expect(Object.keys(app.store.sourceState('rolling').prunedKeys ?? {})).toHaveLength(1);
    clock.advance(2 * DAY);
    await app.runCycle();
    expect(app.store.sourceState('rolling').prunedKeys).toBeUndefined();
  });
});

describe('no resurrection across a change of dedupe key', () => {
  it('an item pruned under its guid stays pruned once the source moves to link keys', async () => {
    const doc = (guid: (i: number) => string) => `<?xml version="1.0"?><rss version="2.0"><channel><title>K</title>${[1, 2, 3, 4, 5].map((i) =>
      `<item><guid isPermaLink="false">${guid(i)}</guid><title>K ${i}</title><link>https://k.example/${i}</link><pubDate>Mon, 10 Mar 2025 ${String(10 - i).padStart(2, '0')}:00:00 GMT</pubDate></item>`).join('')}</channel></rss>`;
    fx.routes.set('/rekey.xml', { body: doc((i) => `id-${i}`) });
    const { app, clock } = await open([{ id: 'rekey', url: fx.url('/rekey.xml') }], { config: { retention: { maxItemsPerSource: 3 } } });
    await app.runCycle();
    expect(titles(app)).toEqual(['K 1', 'K 2', 'K 3']);
    fx.routes.set('/rekey.xml', { body: doc(() => 'same') });
    clock.advance(FIFTEEN_MIN);
    const report = await app.runCycle();
    expect(app.store.sourceState('rekey').dedupeKey).toBe('link');
    expect(report.added).toBe(0);
    expect(titles(app)).toEqual(['K 1', 'K 2', 'K 3']);
  });
});

describe('retention.minItemsPerSource', () => {
  it('a quiet source keeps its newest items whatever their age, so its feed is never empty', async () => {
    fx.routes.set('/quiet.xml', { body: rssFeed('Quiet', 3) });
    const { app, clock } = await open([{ id: 'quiet', url: fx.url('/quiet.xml') }], { config: { retention: { maxAgeDays: 7 } } });
    await app.runCycle();
    clock.advance(30 * DAY);
    const report = await app.runCycle();
    expect(report.pruned?.byAge).toBe(0);
    expect(titles(app)).toEqual(['Quiet 1', 'Quiet 2', 'Quiet 3']);
    expect(app.feeds.get('sources/quiet', 'json')).toBeDefined();
  });

  it('keeps only the minimum when a source has more old items, dropping the rest by age', async () => {
    fx.routes.set('/many.xml', { body: rssFeed('Many', 5) });
    const { app, clock } = await open([{ id: 'many', url: fx.url('/many.xml'), retention: { minItemsPerSource: 2 } }], { config: { retention: { maxAgeDays: 7 } } });
    await app.runCycle();
    clock.advance(30 * DAY);
    const report = await app.runCycle();
    expect(report.pruned?.byAge).toBe(3);
    expect(titles(app)).toEqual(['Many 1', 'Many 2']);
  });
});
