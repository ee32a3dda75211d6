// An item page's article is extracted on the read workers (workers/read-pool.ts), not on the serving thread: a
// hostile page (6 KB of nested <div>s, for which Readability needs minutes of CPU) passes the per-document time
// limit, its worker is replaced, the item keeps its feed content and /status says why, while the service answers
// throughout; the source's other page is read all the same. On the serving thread the same page would hold every
// request for minutes.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import type { CycleReport } from '../../src/fetch-cycle.ts';
import { ReadPool } from '../../src/workers/read-pool.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp } from '../helpers/test-app.ts';

const TIME_LIMIT_MS = 5_000;
const html = { 'content-type': 'text/html; charset=utf-8' };

/** Readability scores every ancestor of every paragraph: 500 levels took 6 CPU-seconds here, 2,000 levels 226. */
const nestedPage = (depth: number) => `<!DOCTYPE html><html><head><title>Deep</title></head><body>${'<div>'.repeat(depth)}`
  + `<p>${'A paragraph at the bottom of a very deep page. '.repeat(4)}</p>${'</div>'.repeat(depth)}</body></html>`;

const calmPage = `<!DOCTYPE html><html><head><title>Calm</title></head><body><nav><a href="/">Home</a></nav>
<article><h1>Calm story</h1><p>The whole text of the calm story, as its page has it, with more than a line of words.</p>
<p>A second paragraph of the calm story.</p></article></body></html>`;

const feed = (base: string) => `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Mixed</title><link>${base}/</link>
<item><guid isPermaLink="false">deep</guid><title>Deep story</title><link>${base}/deep</link><description>The feed's line of the deep story.</description><pubDate>Sat, 05 Dec 2026 10:00:00 GMT</pubDate></item>
<item><guid isPermaLink="false">calm</guid><title>Calm story</title><link>${base}/calm</link><description>The feed's line of the calm story.</description><pubDate>Sat, 05 Dec 2026 09:00:00 GMT</pubDate></item>
</channel></rss>`;

describe('fullText: a page whose extraction passes the read worker\'s time limit', () => {
  const fx = new FixtureServer();
  // One worker: the calm page waits behind the deep one, or takes the worker before it; either way it is read.
  const readers = new ReadPool({ size: 1, timeLimitMs: TIME_LIMIT_MS });
  let app: App;
  let base: string;
  let report: CycleReport;
  const answers: number[] = [];
  let cycleStart = 0;
  let cycleEnd = 0;

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/mixed.xml', { headers: { 'content-type': 'application/rss+xml' }, body: feed(fx.url('').replace(/\/$/, '')) });
    fx.routes.set('/deep', { headers: html, body: nestedPage(1500) });
    fx.routes.set('/calm', { headers: html, body: calmPage });
    const opened = await openTestApp([{ id: 'mixed', url: fx.url('/mixed.xml'), fullText: true }], {}, undefined, { readers });
    app = opened.app;
    opened.clock.set('2026-12-06T00:00:00.000Z');
    const address: AddressInfo = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
    // Requests one after another for as long as the cycle runs, each answer's time kept.
    let cycling = true;
    const polling = (async () => {
      while (cycling) {
        const res = await fetch(`${base}/healthz`);
        await res.arrayBuffer();
        if (res.ok) answers.push(performance.now());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    cycleStart = performance.now();
    report = await app.runCycle();
    cycleEnd = performance.now();
    cycling = false;
    await polling;
  });

  afterAll(async () => {
    await app.close();
    await readers.close();
    await fx.stop();
  });

  const item = (title: string) => app.store.items().find((i) => i.title === title)!;

  it('drops the page at the limit: the item keeps its feed content, the other page is read', () => {
    expect(report.fullText).toEqual([{ sourceId: 'mixed', read: 1, failed: 1, deferred: 0 }]);
    const deep = item('Deep story');
    expect(deep.content).toBeUndefined();
    expect(deep.summary).toBe("The feed's line of the deep story.");
    expect(deep.fullText).toMatchObject({ status: 'failed', link: fx.url('/deep') });
    const calm = item('Calm story');
    expect(calm.content).toContain('A second paragraph of the calm story.');
    expect(calm.fullText).toMatchObject({ status: 'ok' });
  });

  it('says why on /status', async () => {
    const status = (await (await fetch(`${base}/status`)).json()) as { sources: { id: string; fullText?: Record<string, unknown> }[] };
    expect(status.sources.find((s) => s.id === 'mixed')!.fullText).toEqual({
      ok: 1, failed: 1, pending: 0,
      lastError: {
        at: '2026-12-06T00:00:00.000Z', url: fx.url('/deep'),
        reason: 'extracting the article took longer than 5 s; the page was dropped and its read worker replaced',
      },
    });
  });

  it('kept serving while the page was extracted', () => {
    // The cycle lasted at least the limit; requests were answered all through it, not only before and after.
    expect(cycleEnd - cycleStart).toBeGreaterThanOrEqual(TIME_LIMIT_MS);
    const middle = answers.filter((at) => at > cycleStart + 1_500 && at < cycleEnd - 1_500);
    expect(middle.length).toBeGreaterThan(3);
  });
});
