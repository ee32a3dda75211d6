// Per-host politeness: a host's 429/503 Retry-After pauses every source on that host (opt-in for loopback and
// private addresses, where the fixture servers live), and hosts.<host>.perMinute caps the request rate.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer, type FixtureResponse } from '../helpers/fixture-server.ts';
import { openTestApp, rssFeed, TestClock } from '../helpers/test-app.ts';

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
const hits = (path: string) => fx.requests.filter((r) => r.path === path).length;
const MIN = 60_000;

function twoSources(prefix: string) {
  let limited = true;
  fx.routes.set(`/${prefix}-a.xml`, (): FixtureResponse => (limited ? { status: 429, headers: { 'retry-after': '600' }, body: 'slow down' } : { body: rssFeed(`${prefix} A`) }));
  fx.routes.set(`/${prefix}-b.xml`, { body: rssFeed(`${prefix} B`) });
  return {
    sources: [{ id: 'a', url: fx.url(`/${prefix}-a.xml`) }, { id: 'b', url: fx.url(`/${prefix}-b.xml`) }],
    lift: () => (limited = false),
  };
}

describe('Retry-After applies to the host that sent it', () => {
  it('on 127.0.0.1 (a loopback host) by default only the answering source waits; the others on the host go on', async () => {
    const { sources } = twoSources('loop');
    const t = await openTestApp(sources, { concurrency: 1, hostConcurrency: 1 });
    opened.push(t.app);
    await t.app.runCycle();
    expect(hits('/loop-b.xml')).toBe(1);
    t.clock.advance(5 * MIN);
    const report = await t.app.runCycle();
    expect(report.skipped.map((s) => s.sourceId)).toEqual(['a']);
    expect(hits('/loop-b.xml')).toBe(2);
  });

  it('with hosts.<host>.honorRetryAfter every source of that host pauses until the time asked, then all resume', async () => {
    const { sources, lift } = twoSources('paused');
    const t = await openTestApp(sources, { concurrency: 1, hostConcurrency: 1 }, new TestClock(), { config: { hosts: { '127.0.0.1': { honorRetryAfter: true } } } });
    opened.push(t.app);
    const first = await t.app.runCycle();
    // b was queued behind a on the same host: it is not fetched once the host said to wait.
    expect(hits('/paused-a.xml')).toBe(1);
    expect(hits('/paused-b.xml')).toBe(0);
    expect(first.skipped).toEqual([{ sourceId: 'b', nextFetch: new Date(t.clock.now().getTime() + 10 * MIN).toISOString(), host: '127.0.0.1' }]);
    expect(t.logs.some((l) => l.host === '127.0.0.1' && String(l.msg).includes('pausing host'))).toBe(true);
    t.clock.advance(5 * MIN);
    const paused = await t.app.runCycle();
    expect(paused.skipped.map((s) => s.sourceId).sort()).toEqual(['a', 'b']);
    expect(hits('/paused-b.xml')).toBe(0);
    lift();
    t.clock.advance(5 * MIN);
    const resumed = await t.app.runCycle();
    expect(resumed.sources.map((s) => [s.sourceId, s.status]).sort()).toEqual([['a', 'ok'], ['b', 'ok']]);
    // The source's own Retry-After wait is kept: --force is what skips both.
  });
});

describe('a bare 429 (no Retry-After)', () => {
  it('pauses the host as long as the answering source backs off', async () => {
    fx.routes.set('/bare-a.xml', { status: 429, body: 'too many' });
    fx.routes.set('/bare-b.xml', { body: rssFeed('Bare B') });
    const t = await openTestApp([{ id: 'a', url: fx.url('/bare-a.xml') }, { id: 'b', url: fx.url('/bare-b.xml') }],
      { concurrency: 1, hostConcurrency: 1 }, new TestClock(), { config: { hosts: { '127.0.0.1': { honorRetryAfter: true } } } });
    opened.push(t.app);
    const report = await t.app.runCycle();
    expect(hits('/bare-b.xml')).toBe(0);
    expect(report.skipped).toEqual([{ sourceId: 'b', nextFetch: t.app.store.sourceState('a').nextFetch, host: '127.0.0.1' }]);
  });
});

describe('hosts.<host>.perMinute', () => {
  it('spreads the fetches of one host so that no minute sees more than perMinute requests', async () => {
    const times: number[] = [];
    let clock: TestClock | undefined;
    for (let i = 0; i < 5; i++) {
      fx.routes.set(`/rate-${i}.xml`, (): FixtureResponse => {
        times.push(clock!.now().getTime());
        return { body: rssFeed(`Rate ${i}`, 1) };
      });
    }
    const sources = Array.from({ length: 5 }, (_, i) => ({ id: `rate-${i}`, url: fx.url(`/rate-${i}.xml`) }));
    // One fetch at a time: the test's clock jumps while a source waits, which would misdate a request in flight.
    const t = await openTestApp(sources, { hostConcurrency: 1 }, new TestClock(), { config: { hosts: { '127.0.0.1': { perMinute: 2 } } } });
    clock = t.clock;
    opened.push(t.app);
    const report = await t.app.runCycle();
    expect(report.sources.filter((s) => s.status === 'ok')).toHaveLength(5);
    expect(times).toHaveLength(5);
    for (const at of times) expect(times.filter((other) => other >= at && other < at + MIN).length).toBeLessThanOrEqual(2);
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(2 * MIN);
  });
});
