// What a source says about freshness (<ttl>, sy:updatePeriod/sy:updateFrequency, Cache-Control: max-age,
// Expires) sets its next fetch, clamped to fetch.minIntervalMinutes..maxIntervalMinutes, unless ignoreSourceTtl.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer, type FixtureResponse } from '../helpers/fixture-server.ts';
import { openTestApp, rssFeed } from '../helpers/test-app.ts';

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

const MIN = 60_000;
const withChannel = (extra: string) => rssFeed('Fresh', 2).replace('<description>Fresh</description>', `<description>Fresh</description>${extra}`)
  .replace('<rss version="2.0">', '<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">');

interface Row {
  name: string;
  body: string;
  headers?: Record<string, string>;
  source?: Record<string, unknown>;
  fetch?: Record<string, unknown>;
  /** minutes after the fetch before which it is not fetched again; 0: due on its schedule */
  waitMinutes: number;
}
const ROWS: Row[] = [
  { name: '<ttl> in minutes', body: withChannel('<ttl>60</ttl>'), waitMinutes: 60 },
  { name: 'sy:updatePeriod daily, sy:updateFrequency 2: every 12 hours', body: withChannel('<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>'), waitMinutes: 720 },
  { name: 'sy:updatePeriod hourly alone', body: withChannel('<sy:updatePeriod>hourly</sy:updatePeriod>'), waitMinutes: 60 },
  { name: 'Cache-Control: max-age', body: rssFeed('Fresh', 2), headers: { 'cache-control': 'public, max-age=5400' }, waitMinutes: 90 },
  { name: 'Expires', body: rssFeed('Fresh', 2), headers: { expires: 'Mon, 10 Mar 2025 12:45:00 GMT' }, waitMinutes: 45 },
  { name: 'max-age wins over Expires (RFC 9111)', body: rssFeed('Fresh', 2), headers: { 'cache-control': 'max-age=600', expires: 'Mon, 10 Mar 2025 18:00:00 GMT' }, waitMinutes: 10 },
  { name: 'the latest of several hints', body: withChannel('<ttl>30</ttl>'), headers: { 'cache-control': 'max-age=3600' }, waitMinutes: 60 },
  { name: 'clamped to fetch.maxIntervalMinutes', body: withChannel('<ttl>100000</ttl>'), fetch: { maxIntervalMinutes: 180 }, waitMinutes: 180 },
  { name: 'raised to fetch.minIntervalMinutes', body: withChannel('<ttl>1</ttl>'), fetch: { minIntervalMinutes: 20 }, waitMinutes: 20 },
  { name: 'no-cache asks for nothing', body: rssFeed('Fresh', 2), headers: { 'cache-control': 'no-cache, max-age=3600' }, waitMinutes: 0 },
  { name: 'ignoreSourceTtl: true follows the schedule only', body: withChannel('<ttl>60</ttl>'), headers: { 'cache-control': 'max-age=3600' }, source: { ignoreSourceTtl: true }, waitMinutes: 0 },
];

describe('freshness the source asks for', () => {
  it.each(ROWS)('$name', async ({ body, headers, source, fetch, waitMinutes }) => {
    const path = `/fresh-${Math.random().toString(36).slice(2)}.xml`;
    fx.routes.set(path, { headers: { 'content-type': 'application/rss+xml', ...headers }, body });
    const t = await openTestApp([{ id: 'fresh', url: fx.url(path), ...source }], fetch ?? {});
    opened.push(t.app);
    const start = t.clock.now().getTime();
    await t.app.runCycle();
    const hits = () => fx.requests.filter((r) => r.path === path).length;
    const state = t.app.store.sourceState('fresh');
    if (waitMinutes === 0) {
      expect(state.nextFetch).toBeUndefined();
      t.clock.advance(MIN);
      await t.app.runCycle();
      expect(hits()).toBe(2);
      return;
    }
    expect(state.nextFetch).toBe(new Date(start + waitMinutes * MIN).toISOString());
    expect(state.consecutiveFailures).toBe(0);
    t.clock.advance(waitMinutes * MIN - MIN);
    const early = await t.app.runCycle();
    expect(early.skipped).toHaveLength(1);
    expect(hits()).toBe(1);
    t.clock.advance(MIN);
    await t.app.runCycle();
    expect(hits()).toBe(2);
  });

  it('a 304 carries fresh Cache-Control too', async () => {
    fx.routes.set('/fresh-304.xml', (req): FixtureResponse => (req.headers['if-none-match'] === '"a"'
      ? { status: 304, headers: { etag: '"a"', 'cache-control': 'max-age=1800' } }
      : { headers: { etag: '"a"' }, body: rssFeed('Fresh', 2) }));
    const t = await openTestApp([{ id: 'fresh', url: fx.url('/fresh-304.xml') }]);
    opened.push(t.app);
    await t.app.runCycle();
    expect(t.app.store.sourceState('fresh').nextFetch).toBeUndefined();
    t.clock.advance(MIN);
    await t.app.runCycle();
    expect(t.app.store.sourceState('fresh')).toMatchObject({ httpStatus: 304, nextFetch: new Date(t.clock.now().getTime() + 30 * MIN).toISOString() });
  });
});
