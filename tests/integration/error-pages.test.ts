// An error answered to a browser is a page a person can read, with a way back to the index; to anything else it
// stays one line of plain text (feed readers, scripts, monitors).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, rssFeed } from '../helpers/test-app.ts';

const fx = new FixtureServer();
let app: App;
let base: string;
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

beforeAll(async () => {
  await fx.start();
  fx.routes.set('/a.xml', { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('A', 3) });
  app = (await openTestApp([{ id: 'a', url: fx.url('/a.xml') }])).app;
  await app.runCycle();
  base = `http://127.0.0.1:${(await app.listen(0, '127.0.0.1')).port}`;
});

afterAll(async () => {
  await app.close();
  await fx.stop();
});

describe('error answers', () => {
  it('a browser gets a 404 page with the path escaped and a link to the index', async () => {
    const res = await fetch(`${base}/feeds/tags/%3Cscript%3Ealert(1)%3C%2Fscript%3E.atom`, { headers: { accept: BROWSER } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('vary')).toBe('Accept');
    const page = await res.text();
    expect(page).toMatch(/^<!DOCTYPE html>/);
    expect(page).toContain('<h1>404 · Not found</h1>');
    expect(page).toContain('<a href="/">All feeds of this service</a>');
    expect(page).not.toContain('<script>');
  });

  it('a browser gets a 400 page for a query the feed cannot serve', async () => {
    const res = await fetch(`${base}/feeds/latest.atom?page=abc`, { headers: { accept: BROWSER } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('<h1>400 · Bad request</h1>');
  });

  it('anything else gets the same status as one line of plain text', async () => {
    for (const accept of [undefined, 'application/atom+xml', '*/*']) {
      const res = await fetch(`${base}/nowhere`, accept ? { headers: { accept } } : {});
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await res.text()).toBe('not found: /nowhere\n');
    }
    // a feed reader asking for a feed that exists is not affected
    const feed = await fetch(`${base}/feeds/latest.atom`, { headers: { accept: 'application/atom+xml' } });
    expect(feed.status).toBe(200);
  });
});
