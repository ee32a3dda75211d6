// A config edit never deletes stored items at once: items that become prunable only because the config changed
// stay a day, so reverting the edit within that day loses nothing. The app runs on a clock the test moves, and
// fetches from a real fixture server.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { generatedRss } from '../helpers/generated-feed.ts';
import { openTestApp, rssFeed, testConfig, TestClock, type TestAppOptions, type TestSource } from '../helpers/test-app.ts';

const fx = new FixtureServer();
const opened: App[] = [];
const HOUR = 3600_000;
const FETCH = { maxBytes: 4 * 1024 * 1024 };
/**
 * What the config's retention keeps of a source (retention.maxItemsPerSource, set for the whole file below). Not the
 * default 500: every cycle here parses the whole document again, and a rule of 50 shows a drop made a day early as
 * well as one of 500 does, with a tenth of the items read and stored each cycle.
 */
const KEPT = 50;
/** Items the big source lists: more than KEPT, so that the rule, once in force, drops BIG - KEPT of them. */
const BIG = 70;
/** the retention every config of this file carries: what a per-source override overrides */
const RETENTION = { retention: { maxItemsPerSource: KEPT } };
/** the config of these sources, as an edit hands it to the app */
const edited = (sources: TestSource[]) => testConfig(sources, FETCH, { config: RETENTION });

beforeAll(async () => {
  await fx.start();
  fx.routes.set('/big.xml', { body: generatedRss('big', BIG) });
  fx.routes.set('/small.xml', { body: rssFeed('Small', 3) });
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});
afterAll(async () => {
  await fx.stop();
});

async function open(sources: TestSource[], options: TestAppOptions = {}, clock = new TestClock()) {
  const t = await openTestApp(sources, FETCH, clock, { config: RETENTION, ...options });
  opened.push(t.app);
  return t;
}

const big = (retention?: Record<string, number>): TestSource => ({ id: 'big', url: fx.url('/big.xml'), ...(retention ? { retention } : {}) });
const small = (): TestSource => ({ id: 'small', url: fx.url('/small.xml') });
const prunedKeys = (app: App, id: string) => Object.keys(app.store.sourceState(id).prunedKeys ?? {}).length;
const pending = (app: App) => (app.site().status() as { retention: { pending: { source: string; pending: unknown; due: string }[] } }).retention.pending;

describe('a stricter retention from a config edit waits a day', () => {
  it('keeps every item when a per-source override vanishes, and drops them only 24 hours after the edit', async () => {
    const { app, clock } = await open([big({ maxItemsPerSource: 100_000 }), small()]);
    await app.runCycle();
    expect(app.store.countOf('big')).toBe(BIG);
    const editedAt = clock.now();
    await app.useConfig(edited([big(), small()]));
    const after = await app.runCycle(undefined, { force: true });
    expect(after.pruned).toMatchObject({ byCount: 0, byAge: 0 });
    expect(app.store.countOf('big')).toBe(BIG);
    expect(prunedKeys(app, 'big')).toBe(0);
    expect(pending(app)).toEqual([expect.objectContaining({
      source: 'big', pending: { maxItems: KEPT, minItems: 20 }, due: new Date(editedAt.getTime() + 24 * HOUR).toISOString(),
    })]);

    clock.advance(24 * HOUR - 60_000);
    await app.runCycle(undefined, { force: true });
    expect(app.store.countOf('big')).toBe(BIG);

    clock.advance(60_000);
    const due = await app.runCycle(undefined, { force: true });
    expect(due.pruned?.byCount).toBe(BIG - KEPT);
    expect(app.store.countOf('big')).toBe(KEPT);
    // Dropped by the rule now in force: remembered, so the source, still listing them, does not bring them back.
    expect(prunedKeys(app, 'big')).toBe(2 * (BIG - KEPT)); // each under its guid key and its link key
    expect(pending(app)).toEqual([]);
    clock.advance(HOUR);
    expect((await app.runCycle(undefined, { force: true })).added).toBe(0);
    // New items arriving under the rule in force push the oldest out at once, as ever.
    fx.routes.set('/big.xml', { body: generatedRss('big', BIG + 3) });
    clock.advance(HOUR);
    const grown = await app.runCycle(undefined, { force: true });
    fx.routes.set('/big.xml', { body: generatedRss('big', BIG) });
    expect(grown).toMatchObject({ added: 3, pruned: { byCount: 3 } });
    expect(app.store.countOf('big')).toBe(KEPT);
  });

  it('loses nothing when the edit is reverted within the day, even well after the day is over', async () => {
    const { app, clock } = await open([big({ maxItemsPerSource: 100_000 }), small()]);
    await app.runCycle();
    await app.useConfig(edited([big(), small()]));
    await app.runCycle(undefined, { force: true });
    clock.advance(20 * HOUR);
    await app.useConfig(edited([big({ maxItemsPerSource: 100_000 }), small()]));
    await app.runCycle(undefined, { force: true });
    expect(pending(app)).toEqual([]);
    clock.advance(10 * HOUR);
    const later = await app.runCycle(undefined, { force: true });
    expect(later.pruned?.byCount).toBe(0);
    expect(app.store.countOf('big')).toBe(BIG);
    expect(prunedKeys(app, 'big')).toBe(0);
  });

  it('keeps the items of a source removed under --purge for the day, then purges them', async () => {
    const { app, clock } = await open([big(), small()], { purge: true });
    await app.runCycle();
    await app.useConfig(edited([small()]));
    const removed = await app.runCycle(undefined, { force: true });
    expect(removed.pruned?.purged).toEqual([]);
    expect(app.store.countOf('big')).toBe(KEPT);
    expect(pending(app)).toMatchObject([{ source: 'big', configured: false, pending: 'purge' }]);
    clock.advance(24 * HOUR);
    expect((await app.runCycle(undefined, { force: true })).pruned?.purged).toEqual(['big']);
    expect(app.store.countOf('big')).toBe(0);
    expect(app.store.sourceStates().big).toBeUndefined();
  });

  it('keeps the items of sources removed by an edit for the day too', async () => {
    const { app, clock } = await open([big({ maxItemsPerSource: 100_000 }), small()]);
    await app.runCycle();
    // Every source gone at once, as a file emptied by a failed save would have it.
    await app.useConfig(edited([small()]));
    await app.runCycle(undefined, { force: true });
    expect(app.store.countOf('big')).toBe(BIG);
    expect(pending(app)).toMatchObject([{ source: 'big', configured: false, pending: { maxItems: KEPT } }]);
    await app.useConfig(edited([big({ maxItemsPerSource: 100_000 }), small()]));
    clock.advance(30 * HOUR);
    await app.runCycle(undefined, { force: true });
    expect(app.store.countOf('big')).toBe(BIG);
    expect(prunedKeys(app, 'big')).toBe(0);
  });

  it('waits for a lower maxAgeDays as for a lower count', async () => {
    const clock = new TestClock('2025-03-10T12:00:00.000Z');
    const { app } = await open([small()], {}, clock);
    await app.runCycle();
    clock.advance(3 * 24 * HOUR);
    await app.useConfig(testConfig([small()], FETCH, { config: { retention: { maxAgeDays: 1, minItemsPerSource: 1 } } }));
    expect((await app.runCycle(undefined, { force: true })).pruned?.byAge).toBe(0);
    expect(app.store.countOf('small')).toBe(3);
    clock.advance(24 * HOUR);
    expect((await app.runCycle(undefined, { force: true })).pruned?.byAge).toBe(2);
    expect(app.store.countOf('small')).toBe(1);
  });

  it('waits for an edit made while the service was stopped, after a restart on the same data', async () => {
    const first = await open([big({ maxItemsPerSource: 100_000 })]);
    await first.app.runCycle();
    opened.splice(opened.indexOf(first.app), 1);
    await first.app.close();

    const again = await open([big()], { dataDir: first.dataDir }, first.clock);
    expect(pending(again.app)).toMatchObject([{ source: 'big', pending: { maxItems: KEPT } }]);
    await again.app.runCycle(undefined, { force: true });
    expect(again.app.store.countOf('big')).toBe(BIG);
    first.clock.advance(25 * HOUR);
    await again.app.runCycle(undefined, { force: true });
    expect(again.app.store.countOf('big')).toBe(KEPT);
  });
});
