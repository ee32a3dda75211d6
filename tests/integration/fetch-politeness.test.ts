// Fetching like a good citizen, against real HTTP servers on 127.0.0.1 and a clock the test moves:
// conditional GET, compression, Retry-After, backoff, redirects, per-host politeness.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer, type FixtureResponse } from '../helpers/fixture-server.ts';
import { openTestApp, rssFeed, type TestApp, type TestSource } from '../helpers/test-app.ts';

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

async function open(sources: TestSource[], fetch: Record<string, unknown> = {}): Promise<TestApp> {
  const t = await openTestApp(sources, fetch);
  opened.push(t.app);
  return t;
}

const hits = (path: string) => fx.requests.filter((r) => r.path === path).length;
const titlesOf = (app: App, sourceId: string) => app.store.items().filter((i) => i.sourceId === sourceId).map((i) => i.title).sort();
const rss = (body: string) => ({ headers: { 'content-type': 'application/rss+xml; charset=utf-8' }, body });

describe('conditional GET towards sources', () => {
  it('sends the stored validators; a 304 costs no parse, rewrites no store.json and re-renders nothing', async () => {
    const etag = '"v1"';
    const lastModified = 'Mon, 10 Mar 2025 10:00:00 GMT';
    fx.routes.set('/cond.xml', (req): FixtureResponse => (req.headers['if-none-match'] === etag
      ? { status: 304, headers: { etag } }
      : { headers: { 'content-type': 'application/rss+xml', etag, 'last-modified': lastModified }, body: rssFeed('Cond') }));
    const { app, clock, dataDir } = await open([{ id: 'cond', url: fx.url('/cond.xml') }]);
    const first = await app.runCycle();
    expect(first.written).toBe(true);
    expect(first.rendered).toContain('sources/cond');
    const storeFile = join(dataDir, 'store.json');
    const before = statSync(storeFile);
    const storeBytes = readFileSync(storeFile);
    expect(app.store.sourceState('cond')).toMatchObject({ etag, lastModified, httpStatus: 200, itemsSeen: 3 });

    clock.advance(15 * 60_000);
    const second = await app.runCycle();
    const request = fx.requests.filter((r) => r.path === '/cond.xml').at(-1)!;
    expect(request.headers['if-none-match']).toBe(etag);
    expect(request.headers['if-modified-since']).toBe(lastModified);
    expect(second.sources[0]).toMatchObject({ status: 'not-modified', bytes: 0 });
    expect(second.written).toBe(false);
    expect(second.rendered).toEqual([]);
    const after = statSync(storeFile);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(readFileSync(storeFile).equals(storeBytes)).toBe(true);
    expect(titlesOf(app, 'cond')).toEqual(['Cond 1', 'Cond 2', 'Cond 3']);
    const state = JSON.parse(readFileSync(join(dataDir, 'sources.json'), 'utf8')).sources.cond;
    expect(state).toMatchObject({ httpStatus: 304, lastFetch: clock.now().toISOString(), lastSuccess: clock.now().toISOString(), consecutiveFailures: 0, etag, itemsSeen: 3 });
  });

  it('asks for gzip, deflate and br, and reads each', async () => {
    const body = Buffer.from(rssFeed('Packed'));
    fx.routes.set('/gzip.xml', { headers: { 'content-type': 'application/rss+xml', 'content-encoding': 'gzip' }, body: gzipSync(body) });
    fx.routes.set('/br.xml', { headers: { 'content-type': 'application/rss+xml', 'content-encoding': 'br' }, body: brotliCompressSync(body) });
    const { app } = await open([{ id: 'gz', url: fx.url('/gzip.xml') }, { id: 'br', url: fx.url('/br.xml') }]);
    const report = await app.runCycle();
    expect(report.sources.map((s) => s.status)).toEqual(['ok', 'ok']);
    expect(fx.requests.find((r) => r.path === '/br.xml')!.headers['accept-encoding']).toBe('gzip, deflate, br');
    // Only the gzip copy kept its items: the br source carries the same links, stored once under the first.
    expect(app.store.items().filter((i) => i.title.startsWith('Packed'))).toHaveLength(3);
    expect(report.sources.every((s) => s.bytes === body.length)).toBe(true);
  });
});

describe('Retry-After and backoff', () => {
  it('honours 429 with Retry-After in seconds: no request before then, then fetches again', async () => {
    let limited = true;
    fx.routes.set('/429.xml', (): FixtureResponse => (limited ? { status: 429, headers: { 'retry-after': '120' }, body: 'slow down' } : rss(rssFeed('Limited'))));
    const { app, clock } = await open([{ id: 'limited', url: fx.url('/429.xml') }]);
    const start = clock.now();
    await app.runCycle();
    expect(app.store.sourceState('limited')).toMatchObject({
      httpStatus: 429, consecutiveFailures: 1, nextFetch: new Date(start.getTime() + 120_000).toISOString(),
      lastError: expect.stringContaining('HTTP 429'),
    });
    expect(app.store.sourceState('limited').lastError).toContain('not to retry before');

    clock.advance(119_000);
    const early = await app.runCycle();
    expect(early.skipped).toEqual([{ sourceId: 'limited', nextFetch: new Date(start.getTime() + 120_000).toISOString() }]);
    expect(hits('/429.xml')).toBe(1);

    limited = false;
    clock.advance(1_000);
    await app.runCycle();
    expect(hits('/429.xml')).toBe(2);
    const state = app.store.sourceState('limited');
    expect(state).toMatchObject({ httpStatus: 200, consecutiveFailures: 0, itemsSeen: 3 });
    expect(state.nextFetch).toBeUndefined();
    expect(state.lastError).toBeUndefined();
    expect(titlesOf(app, 'limited')).toEqual(['Limited 1', 'Limited 2', 'Limited 3']);
  });

  it('honours 503 with Retry-After as an HTTP date', async () => {
    fx.routes.set('/503.xml', { status: 503, headers: { 'retry-after': 'Mon, 10 Mar 2025 14:00:00 GMT' }, body: 'maintenance' });
    const { app, clock } = await open([{ id: 'maint', url: fx.url('/503.xml') }]);
    await app.runCycle();
    expect(app.store.sourceState('maint')).toMatchObject({ httpStatus: 503, nextFetch: '2025-03-10T14:00:00.000Z' });
    clock.set('2025-03-10T13:59:59.000Z');
    expect((await app.runCycle()).skipped).toHaveLength(1);
    expect(hits('/503.xml')).toBe(1);
    expect((await app.runCycle(undefined, { force: true })).sources).toHaveLength(1);
    expect(hits('/503.xml')).toBe(2);
  });

  it('backs off 1, 2, 4 minutes (plus jitter) over three failures and resets on success', async () => {
    let calls = 0;
    fx.routes.set('/flaky.xml', (): FixtureResponse => (++calls <= 3 ? { status: 500, body: 'oops' } : rss(rssFeed('Flaky'))));
    const { app, clock } = await open([{ id: 'flaky', url: fx.url('/flaky.xml') }]);
    for (const [failures, minutes] of [[1, 1], [2, 2], [3, 4]] as const) {
      const now = clock.now().getTime();
      await app.runCycle();
      const state = app.store.sourceState('flaky');
      expect(state).toMatchObject({ consecutiveFailures: failures, httpStatus: 500, lastError: expect.stringContaining('HTTP 500') });
      const wait = Date.parse(state.nextFetch!) - now;
      expect(wait).toBeGreaterThanOrEqual(minutes * 60_000);
      expect(wait).toBeLessThanOrEqual(minutes * 60_000 * 1.25);
      clock.advance(wait - 1);
      expect((await app.runCycle()).skipped).toHaveLength(1);
      expect(calls).toBe(failures);
      clock.advance(1);
    }
    await app.runCycle();
    const state = app.store.sourceState('flaky');
    expect(state).toMatchObject({ consecutiveFailures: 0, httpStatus: 200, itemsSeen: 3, lastSuccess: clock.now().toISOString() });
    expect(state.nextFetch).toBeUndefined();
    expect(titlesOf(app, 'flaky')).toEqual(['Flaky 1', 'Flaky 2', 'Flaky 3']);
  });
});

describe('redirects', () => {
  it('follows a 301 and fetches the new URL from then on, reporting the move in status and logs', async () => {
    fx.routes.set('/moved.xml', { status: 301, headers: { location: '/new-home.xml' } });
    fx.routes.set('/new-home.xml', rss(rssFeed('Moved')));
    const { app, logs } = await open([{ id: 'moved', url: fx.url('/moved.xml') }]);
    await app.runCycle();
    expect(titlesOf(app, 'moved')).toEqual(['Moved 1', 'Moved 2', 'Moved 3']);
    expect(app.store.sourceState('moved')).toMatchObject({ movedTo: fx.url('/new-home.xml'), movedFrom: fx.url('/moved.xml'), httpStatus: 200 });
    const status = app.site().status() as { sources: { id: string; movedTo: string | null }[] };
    expect(status.sources.find((s) => s.id === 'moved')!.movedTo).toBe(fx.url('/new-home.xml'));
    expect(logs.find((l) => l.source === 'moved' && l.movedTo === fx.url('/new-home.xml'))).toMatchObject({ level: 40 });

    await app.runCycle();
    expect(hits('/moved.xml')).toBe(1);
    expect(hits('/new-home.xml')).toBe(2);
  });

  it('follows a 308 the same way, and a 302 or 307 without remembering it', async () => {
    fx.routes.set('/perm308.xml', { status: 308, headers: { location: fx.url('/p308-target.xml') } });
    fx.routes.set('/p308-target.xml', rss(rssFeed('P308')));
    fx.routes.set('/temp302.xml', { status: 302, headers: { location: '/t302-target.xml' } });
    fx.routes.set('/t302-target.xml', rss(rssFeed('T302')));
    fx.routes.set('/temp307.xml', { status: 307, headers: { location: '/t302-target.xml' } });
    const { app } = await open([
      { id: 'p308', url: fx.url('/perm308.xml') }, { id: 't302', url: fx.url('/temp302.xml') }, { id: 't307', url: fx.url('/temp307.xml') },
    ]);
    await app.runCycle();
    await app.runCycle();
    expect(hits('/perm308.xml')).toBe(1);
    expect(hits('/p308-target.xml')).toBe(2);
    expect(hits('/temp302.xml')).toBe(2);
    expect(hits('/temp307.xml')).toBe(2);
    expect(app.store.sourceState('t302').movedTo).toBeUndefined();
    expect(app.store.sourceState('t307').movedTo).toBeUndefined();
    expect(titlesOf(app, 't302')).toEqual(['T302 1', 'T302 2', 'T302 3']);
  });

  it('remembers only the permanent part of a chain: 301 then 302 moves the source to the 302\'s URL', async () => {
    fx.routes.set('/chain-a.xml', { status: 301, headers: { location: '/chain-b.xml' } });
    fx.routes.set('/chain-b.xml', { status: 302, headers: { location: '/chain-c.xml' } });
    fx.routes.set('/chain-c.xml', rss(rssFeed('Chain')));
    const { app } = await open([{ id: 'chain', url: fx.url('/chain-a.xml') }]);
    await app.runCycle();
    expect(app.store.sourceState('chain').movedTo).toBe(fx.url('/chain-b.xml'));
  });

  it('records a redirect loop as an error without storing anything', async () => {
    fx.routes.set('/loop-a.xml', { status: 301, headers: { location: '/loop-b.xml' } });
    fx.routes.set('/loop-b.xml', { status: 302, headers: { location: '/loop-a.xml' } });
    const { app } = await open([{ id: 'loop', url: fx.url('/loop-a.xml') }]);
    const report = await app.runCycle();
    expect(report.sources[0]!.status).toBe('error');
    const state = app.store.sourceState('loop');
    expect(state).toMatchObject({ consecutiveFailures: 1, httpStatus: 302 });
    expect(state.lastError).toContain(`redirect loop: ${fx.url('/loop-a.xml')} -> ${fx.url('/loop-b.xml')} -> ${fx.url('/loop-a.xml')}`);
    expect(state.movedTo).toBeUndefined();
    expect(titlesOf(app, 'loop')).toEqual([]);
  });

  it('gives up after 5 redirects: a sixth is an error', async () => {
    for (let i = 1; i <= 6; i++) fx.routes.set(`/hop${i}.xml`, { status: 307, headers: { location: `/hop${i + 1}.xml` } });
    fx.routes.set('/hop7.xml', rss(rssFeed('Hop')));
    const { app } = await open([{ id: 'six', url: fx.url('/hop1.xml') }]);
    await app.runCycle();
    const state = app.store.sourceState('six');
    expect(state).toMatchObject({ consecutiveFailures: 1, httpStatus: 307 });
    expect(state.lastError).toContain(`more than 5 redirects: ${fx.url('/hop1.xml')} -> `);
    expect(hits('/hop6.xml')).toBe(1);
    expect(hits('/hop7.xml')).toBe(0);
    expect(titlesOf(app, 'six')).toEqual([]);
  });

  it('follows exactly 5 redirects', async () => {
    for (let i = 1; i <= 5; i++) fx.routes.set(`/five${i}.xml`, { status: 302, headers: { location: `/five${i + 1}.xml` } });
    fx.routes.set('/five6.xml', rss(rssFeed('Five')));
    const { app } = await open([{ id: 'exact', url: fx.url('/five1.xml') }]);
    await app.runCycle();
    expect(app.store.sourceState('exact')).toMatchObject({ consecutiveFailures: 0, httpStatus: 200 });
  });
});

describe('politeness', () => {
  it('sends at most fetch.hostConcurrency (2) requests at once to one host', async () => {
    let inFlight = 0;
    let peak = 0;
    const held: (() => void)[] = [];
    const releaseHeld = () => {
      for (const respond of held.splice(0)) respond();
    };
    for (let i = 0; i < 6; i++) {
      fx.routes.set(`/host${i}.xml`, (_req, res) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        held.push(() => {
          inFlight--;
          const body = rssFeed(`Host${i}`);
          res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
        // Answered only once two are in flight, and a moment later still, so that a third request sent too
        // early would be seen here; a lone request (a limit of 1) is answered after a second.
        setTimeout(releaseHeld, inFlight >= 2 ? 40 : 1000);
      });
    }
    const sources = Array.from({ length: 6 }, (_, i) => ({ id: `host${i}`, url: fx.url(`/host${i}.xml`) }));
    const { app } = await open(sources, { concurrency: 8 });
    const report = await app.runCycle();
    expect(report.sources.every((s) => s.status === 'ok')).toBe(true);
    expect(peak).toBe(2);
  });
});
