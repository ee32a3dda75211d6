// fullText through the real App and a real server on 127.0.0.1: a portal feed whose items carry a title and a line
// and link to article pages (the GBK portal article, a page only script fills), an English source read by
// Readability, and a source with 30 new items against the per-cycle budget.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, testConfig, type TestClock } from '../helpers/test-app.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/articles/${name}`, import.meta.url));
const PORTAL_PAGE = fixture('portal-article.gbk.html');
const NEWS_PAGE = fixture('news-article.en.html');
const SCRIPT_ONLY = fixture('script-only.html');

interface FeedItem { guid: string; title: string; link: string; description: string; date: string }
const rss = (title: string, items: FeedItem[]) => `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>${title}</title><link>http://127.0.0.1/</link>
${items.map((i) => `<item><guid isPermaLink="false">${i.guid}</guid><title>${i.title}</title><link>${i.link}</link><description>${i.description}</description><pubDate>${i.date}</pubDate></item>`).join('\n')}
</channel></rss>`;
const html = { 'content-type': 'text/html' };
const xml = { 'content-type': 'application/rss+xml; charset=utf-8' };

/** A short article page of its own for item n of the many-items source. */
const storyPage = (n: number) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Story ${n}</title></head><body>
<nav><a href="/">Home</a> <a href="/world/">World</a></nav>
<article><h1>Story ${n}</h1><p>The whole text of story number ${n}, as its page has it, with more than a line of words.</p>
<p>A second paragraph of story ${n}.</p></article><footer>© Example</footer></body></html>`;

describe('fullText: item pages replace the feed content', () => {
  const fx = new FixtureServer();
  let app: App;
  let clock: TestClock;
  let dataDir: string;
  let base: string;
  const pageRequests = (prefix: string) => fx.requests.filter((r) => r.path.startsWith(prefix)).length;
  const portalItems = (): FeedItem[] => [
    { guid: 'a1', title: '江南水乡古镇迎来冬季旅游热潮', link: fx.url('/sh/2026/12-05/10000100.shtml'), description: '进入十二月，江南多地水乡古镇迎来冬季旅游热潮。', date: 'Sat, 05 Dec 2026 06:32:00 GMT' },
    { guid: 'a2', title: '新版客户端上线', link: fx.url('/app/20261205001'), description: '新版客户端今日上线。', date: 'Sat, 05 Dec 2026 05:00:00 GMT' },
  ];
  const manyItems = (): FeedItem[] => Array.from({ length: 30 }, (_, i) => ({
    guid: `s${i + 1}`, title: `Story ${i + 1}`, link: fx.url(`/stories/${i + 1}.html`), description: `Line of story ${i + 1}.`,
    date: new Date(Date.UTC(2026, 11, 5, 0, i)).toUTCString(),
  }));

  // defaults.fullText turns it on for every source that does not say otherwise.
  const sources = (manyPages: boolean) => [
    { id: 'portal', url: fx.url('/portal.xml'), timezone: 'Asia/Shanghai', fullText: { select: 'div.left_zw', remove: ['.adInContent'] } },
    { id: 'gazette', url: fx.url('/gazette.xml'), fullText: true },
    { id: 'many', url: fx.url('/many.xml'), fullText: manyPages },
  ];
  const FETCH = { concurrency: 4 };
  const CONFIG = { config: { defaults: { fullText: { maxPerCycle: 20 } } } };

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/portal.xml', { headers: xml, body: rss('社会新闻', portalItems()) });
    fx.routes.set('/sh/2026/12-05/10000100.shtml', { headers: html, body: PORTAL_PAGE });
    fx.routes.set('/app/20261205001', { headers: { 'content-type': 'text/html; charset=utf-8' }, body: SCRIPT_ONLY });
    fx.routes.set('/gazette.xml', { headers: xml, body: rss('Gazette', [{ guid: 'g1', title: 'City council approves riverside park expansion', link: fx.url('/local/2026/12/05/riverside-park-expansion'), description: 'The council voted on Thursday.', date: 'Sat, 05 Dec 2026 09:15:00 GMT' }]) });
    fx.routes.set('/local/2026/12/05/riverside-park-expansion', { headers: { 'content-type': 'text/html; charset=utf-8' }, body: NEWS_PAGE });
    fx.routes.set('/many.xml', { headers: xml, body: rss('Many', manyItems()) });
    for (let n = 1; n <= 30; n++) fx.routes.set(`/stories/${n}.html`, { headers: html, body: storyPage(n) });
    ({ app, clock, dataDir } = await openTestApp(sources(false), FETCH, undefined, CONFIG));
    clock.set('2026-12-06T00:00:00.000Z');
    const address: AddressInfo = await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${address.port}`;
    await app.runCycle();
  });

  afterAll(async () => {
    await app.close();
    await fx.stop();
  });

  const item = (sourceId: string, guidTitle: string) => app.store.items().find((i) => i.sourceId === sourceId && i.title === guidTitle)!;
  const served = async (path: string) => (await (await fetch(`${base}/feeds/${path}.json`)).json()) as { items: { title: string; content_html?: string; summary?: string }[] };
  const status = async () => (await (await fetch(`${base}/status`)).json()) as { sources: { id: string; fullText?: Record<string, unknown> }[] };

  it("stores the selected article of the GBK page as the item's content; the feed's line stays the summary", () => {
    const stored = item('portal', '江南水乡古镇迎来冬季旅游热潮');
    expect(stored.content).toContain('(记者 李喆)进入十二月');
    expect(stored.content).toContain(`<img src="${fx.base}/2026/12-05/U123P4T8D10001F24DT20261205143200.jpg"`);
    expect(stored.content).not.toMatch(/最新|分享到|<script|document\.write/);
    expect(stored.summary).toBe('进入十二月，江南多地水乡古镇迎来冬季旅游热潮。');
    expect(stored.fullText).toMatchObject({ status: 'ok', link: fx.url('/sh/2026/12-05/10000100.shtml') });
  });

  it('serves the article in the feeds', async () => {
    const { items } = await served('sources/portal');
    const story = items.find((i) => i.title === '江南水乡古镇迎来冬季旅游热潮')!;
    expect(story.content_html).toContain('合理安排行程。(完)');
    expect(story.summary).toBe('进入十二月，江南多地水乡古镇迎来冬季旅游热潮。');
    const gazette = (await served('sources/gazette')).items[0]!;
    expect(gazette.content_html).toContain('<h2>What happens next</h2>');
    expect(gazette.content_html).not.toContain('Most read');
  });

  it('keeps the feed content of an item whose page only script fills, and /status says why', async () => {
    const stored = item('portal', '新版客户端上线');
    expect(stored.content).toBeUndefined();
    expect(stored.summary).toBe('新版客户端今日上线。');
    const portal = (await status()).sources.find((s) => s.id === 'portal')!;
    expect(portal.fullText).toEqual({
      ok: 1, failed: 1, pending: 0,
      lastError: { at: '2026-12-06T00:00:00.000Z', url: fx.url('/app/20261205001'), reason: "the page's body has 0 characters of text without its 3 scripts: its article is loaded by JavaScript, which is not run" },
    });
    expect((await status()).sources.find((s) => s.id === 'gazette')!.fullText).toEqual({ ok: 1, failed: 0, pending: 0 });
    // No fullText, no such entry.
    expect((await status()).sources.find((s) => s.id === 'many')!.fullText).toBeUndefined();
  });

  it('fetches no page again in later cycles, and retries a failed one only after its backoff', async () => {
    const before = { article: pageRequests('/sh/'), app: pageRequests('/app/'), gazette: pageRequests('/local/') };
    expect(before).toEqual({ article: 1, app: 1, gazette: 1 });
    clock.advance(15 * 60_000);
    const report = await app.runCycle(undefined, { force: true });
    expect(report.updated).toBe(0);
    expect({ article: pageRequests('/sh/'), app: pageRequests('/app/'), gazette: pageRequests('/local/') }).toEqual(before);
    clock.advance(20 * 60_000);
    await app.runCycle(undefined, { force: true });
    expect({ article: pageRequests('/sh/'), app: pageRequests('/app/'), gazette: pageRequests('/local/') }).toEqual({ ...before, app: 2 });
    expect(item('portal', '新版客户端上线').fullText).toMatchObject({ status: 'failed', failures: 2 });
  });

  it('keeps the article when the feed edits the item, and reads the page again when its link changes', async () => {
    const edited = portalItems();
    edited[0] = { ...edited[0]!, description: '（更新）江南多地水乡古镇迎来冬季旅游热潮。' };
    fx.routes.set('/portal.xml', { headers: xml, body: rss('社会新闻', edited) });
    clock.advance(5 * 60_000);
    const report = await app.runCycle(['portal'], { force: true });
    expect(report.updated).toBe(1);
    let stored = item('portal', '江南水乡古镇迎来冬季旅游热潮');
    expect(stored.summary).toBe('（更新）江南多地水乡古镇迎来冬季旅游热潮。');
    expect(stored.content).toContain('(记者 李喆)进入十二月');
    expect(pageRequests('/sh/')).toBe(1);
    // The same feed again: no update, no page.
    clock.advance(5 * 60_000);
    expect((await app.runCycle(['portal'], { force: true })).updated).toBe(0);

    fx.routes.set('/sh/2026/12-05/10000100-moved.shtml', { headers: html, body: PORTAL_PAGE });
    edited[0] = { ...edited[0]!, link: fx.url('/sh/2026/12-05/10000100-moved.shtml') };
    fx.routes.set('/portal.xml', { headers: xml, body: rss('社会新闻', edited) });
    clock.advance(5 * 60_000);
    await app.runCycle(['portal'], { force: true });
    stored = item('portal', '江南水乡古镇迎来冬季旅游热潮');
    expect(pageRequests('/sh/2026/12-05/10000100-moved.shtml')).toBe(1);
    expect(stored.fullText).toMatchObject({ status: 'ok', link: fx.url('/sh/2026/12-05/10000100-moved.shtml') });
    expect(stored.content).toContain('(记者 李喆)进入十二月');
  });

  it('reads 30 new items\' pages 20 in one cycle (the newest), 10 in the next, then none', async () => {
    // Its 30 items are stored without pages while its fullText is off; turned on, pages are due for all of them.
    expect(pageRequests('/stories/')).toBe(0);
    expect(app.store.items().filter((i) => i.sourceId === 'many')).toHaveLength(30);
    await app.useConfig(testConfig(sources(true), FETCH, CONFIG));
    clock.advance(60_000);
    await app.runCycle(['many'], { force: true });
    expect(pageRequests('/stories/')).toBe(20);
    const read = app.store.items().filter((i) => i.sourceId === 'many' && i.fullText?.status === 'ok').map((i) => Number(i.title.split(' ')[1])).sort((a, b) => a - b);
    expect(read).toEqual(Array.from({ length: 20 }, (_, i) => i + 11));
    expect((await status()).sources.find((s) => s.id === 'many')!.fullText).toEqual({ ok: 20, failed: 0, pending: 10 });
    clock.advance(15 * 60_000);
    await app.runCycle(['many'], { force: true });
    expect(pageRequests('/stories/')).toBe(30);
    expect((await status()).sources.find((s) => s.id === 'many')!.fullText).toEqual({ ok: 30, failed: 0, pending: 0 });
    expect(item('many', 'Story 1').content).toContain('The whole text of story number 1,');
    clock.advance(15 * 60_000);
    await app.runCycle(['many'], { force: true });
    expect(pageRequests('/stories/')).toBe(30);
  });

  it('keeps what the pages gave across a restart: no page is fetched again', async () => {
    const before = fx.requests.filter((r) => !r.path.endsWith('.xml')).length;
    await app.close();
    ({ app } = await openTestApp(sources(true), FETCH, clock, { ...CONFIG, dataDir }));
    await app.runCycle(undefined, { force: true });
    expect(fx.requests.filter((r) => !r.path.endsWith('.xml')).length).toBe(before);
    expect(item('many', 'Story 30').content).toContain('The whole text of story number 30,');
  });
});

describe('fullText: a page answering 429 with Retry-After', () => {
  const fx = new FixtureServer();
  let app: App;
  let clock: TestClock;
  const feed = () => rss('Busy', [1, 2, 3].map((n) => ({
    guid: `b${n}`, title: `Busy story ${n}`, link: fx.url(`/p/${n}`), description: `Line ${n}.`, date: new Date(Date.UTC(2026, 11, 5, n)).toUTCString(),
  })));
  const requested = () => fx.requests.filter((r) => r.path.startsWith('/p/')).map((r) => r.path);

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/busy.xml', { headers: xml, body: feed() });
    for (const n of [1, 2]) fx.routes.set(`/p/${n}`, { headers: html, body: storyPage(n) });
    fx.routes.set('/p/3', { status: 429, headers: { 'retry-after': '3600' } });
    // A loopback host's Retry-After pauses it only when the operator says so.
    ({ app, clock } = await openTestApp([{ id: 'busy', url: fx.url('/busy.xml'), fullText: true }], { concurrency: 1, hostConcurrency: 1 }, undefined,
      { config: { hosts: { '127.0.0.1': { honorRetryAfter: true } } } }));
    clock.set('2026-12-06T00:00:00.000Z');
  });
  afterAll(async () => {
    await app.close();
    await fx.stop();
  });

  it("pauses the host: the source's other pages wait (pending), and are read once the pause is over", async () => {
    const first = await app.runCycle();
    expect(requested()).toEqual(['/p/3']);
    expect(first.fullText).toEqual([{ sourceId: 'busy', read: 0, failed: 1, deferred: 2 }]);
    expect(app.store.sourceState('busy').fullText).toMatchObject({ ok: 0, failed: 1, pending: 2, lastError: { url: fx.url('/p/3'), reason: expect.stringMatching(/^HTTP 429 .*2026-12-06T01:00:00/) } });
    clock.advance(15 * 60_000);
    await app.runCycle();
    expect(requested()).toEqual(['/p/3']);
    fx.routes.set('/p/3', { headers: html, body: storyPage(3) });
    clock.advance(50 * 60_000);
    await app.runCycle();
    expect(requested().sort()).toEqual(['/p/1', '/p/2', '/p/3', '/p/3']);
    expect(app.store.sourceState('busy').fullText).toMatchObject({ ok: 3, failed: 0, pending: 0 });
  });
});
