// /healthz says "degraded" (still 200: the stored feeds are served) when every enabled source is failing, with the
// count, so a monitor sees that nothing new can arrive; one source recovering makes it "ok" again.
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
  fx.routes.set('/a.xml', { status: 500, body: 'broken' });
  fx.routes.set('/b.xml', { status: 404, body: 'gone' });
  t = await openTestApp([{ id: 'a', url: fx.url('/a.xml') }, { id: 'b', url: fx.url('/b.xml') }]);
  app = t.app;
  const address = await app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app.close();
  await fx.stop();
});

async function health() {
  const res = await fetch(`${base}/healthz`);
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

describe('/healthz', () => {
  it('is ok before any fetch, degraded with the count when every source fails, ok again when one recovers', async () => {
    expect(await health()).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok', sources: 2, failing: 0 }) });
    await app.runCycle();
    expect(await health()).toEqual({ status: 200, body: expect.objectContaining({ status: 'degraded', sources: 2, failing: 2 }) });
    fx.routes.set('/a.xml', { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('A', 3) });
    await app.runCycle(undefined, { force: true });
    expect(await health()).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok', sources: 2, failing: 1, items: 3 }) });
  });
});
