// What an operator sees of each source: /status JSON, the HTML index, and one log line per fetch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, rssFeed, type TestApp } from '../helpers/test-app.ts';

const fx = new FixtureServer();
let t: TestApp;
let app: App;
let base: string;

beforeAll(async () => {
  await fx.start();
  fx.routes.set('/good.xml', { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('Good', 4) });
  fx.routes.set('/down.xml', { status: 503, headers: { 'retry-after': '600' }, body: 'down' });
  fx.routes.set('/old.xml', { status: 301, headers: { location: '/good.xml' } });
  t = await openTestApp([
    { id: 'good', url: fx.url('/good.xml') },
    { id: 'down', url: fx.url('/down.xml') },
    { id: 'moved', url: fx.url('/old.xml') },
  ]);
  app = t.app;
  await app.runCycle();
  const address = await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app.close();
  await fx.stop();
});

describe('source status', () => {
  it('lists every source at /status with last fetch, last success, HTTP status, items seen, failures, next fetch and last error', async () => {
    const now = t.clock.now().toISOString();
    const status = await (await fetch(`${base}/status`)).json() as { lastCycle: string; sources: Record<string, unknown>[] };
    expect(status.lastCycle).toBe(now);
    const byId = Object.fromEntries(status.sources.map((s) => [s.id, s]));
    expect(byId.good).toMatchObject({
      url: fx.url('/good.xml'), enabled: true, items: 4, lastFetch: now, lastSuccess: now, httpStatus: 200, itemsSeen: 4,
      consecutiveFailures: 0, nextFetch: null, lastError: null, movedTo: null,
    });
    expect(byId.down).toMatchObject({
      lastFetch: now, lastSuccess: null, httpStatus: 503, itemsSeen: null, consecutiveFailures: 1,
      nextFetch: new Date(t.clock.now().getTime() + 600_000).toISOString(), lastError: expect.stringContaining('HTTP 503'),
    });
    expect(byId.moved).toMatchObject({ url: fx.url('/old.xml'), movedTo: fx.url('/good.xml'), httpStatus: 200, itemsSeen: 4, items: 0 });
  });

  it('shows the same in the HTML index', async () => {
    const html = await (await fetch(`${base}/`)).text();
    const cards = html.split('\n').filter((l) => l.startsWith('<li class="source'));
    // failing sources first, each card saying why in words
    expect(cards[0]).toContain('<li class="source failing" data-source="down">');
    const row = cards[0]!;
    expect(row).toContain('HTTP 503');
    expect(row).toMatch(/last fetch <time datetime="20\d\d-[^"]*" data-ts data-abs="[^"]+"/);
    expect(row).toContain('failures 1');
    expect(html).toMatch(/<p data-summary>\d+ sources, 1 failing · last fetch <time datetime="20\d\d-[^"]*"[^>]*>[^<]+<\/time> · <a href="[^"]*\/status">/);
    expect(row).toContain('HTTP 503 Service Unavailable');
    expect(html).toContain(`moved to <a href="${fx.url('/good.xml')}">`);
  });

  it('logs one structured line per fetch: source, status, bytes, ms, new and updated items', () => {
    const lines = t.logs.filter((l) => typeof l.source === 'string' && typeof l.ms === 'number');
    expect(lines.map((l) => l.source).sort()).toEqual(['down', 'good', 'moved']);
    expect(lines.find((l) => l.source === 'good')).toMatchObject({
      msg: 'fetched', status: 'ok', http: 200, bytes: Buffer.byteLength(rssFeed('Good', 4)), new: 4, updated: 0, url: fx.url('/good.xml'),
    });
    expect(lines.find((l) => l.source === 'down')).toMatchObject({ level: 40, status: 'error', http: 503, new: 0, failures: 1 });
  });
});
