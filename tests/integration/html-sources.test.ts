// Sources without a feed: a Chinese portal's "最新" list in GB2312-labelled GBK, read through CSS selectors from
// a real server, and checked in the feeds a reader gets.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App, CycleReport } from '../../src/app.ts';
import { runCli } from '../helpers/cli.ts';
import { atomEntries, lintAtom, lintJsonFeed, lintRss } from '../helpers/feed-lint.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, type TestClock } from '../helpers/test-app.ts';

const PAGE = readFileSync(new URL('../fixtures/pages/portal-latest.gb2312.html', import.meta.url));
const SELECT = { item: 'ul.latest li, ul.hot li', title: 'a', link: 'a@href', summary: '.intro', date: '.time' };

/** A wire feed carrying the page's first story, with its own tracking parameter. */
const wireFeed = (base: string) => `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title><link>https://wire.example.org/</link>
<item><title>国产大模型：既需“仰望星空”也要脚踏实地</title><link>${base}/news/2025/03/09/doc-a1.shtml?utm_source=rss</link>
<pubDate>Sun, 09 Mar 2025 10:42:00 GMT</pubDate></item>
<item><title>Wire only</title><link>https://wire.example.org/only</link><pubDate>Sun, 09 Mar 2025 09:00:00 GMT</pubDate></item>
</channel></rss>`;

describe('type: html sources through the real App', () => {
  const fx = new FixtureServer();
  let app: App;
  let clock: TestClock;
  let first: CycleReport;

  beforeAll(async () => {
    await fx.start();
    // No charset in the header: the page's own <meta charset=gb2312> has to be found.
    fx.routes.set('/news/', { headers: { 'content-type': 'text/html' }, body: PAGE });
    // A page of its own (a shared story would be stored under the first source): UTF-8 named in the header.
    fx.routes.set('/redesign/', { headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<!DOCTYPE html><html><head><title>频道</title></head>'
      + '<body><ul class="latest"><li><a href="/redesign/1.shtml">改版前的最后一条</a><span class="time">2025-03-10 08:00</span></li></ul></body></html>' });
    fx.routes.set('/wire.xml', { headers: { 'content-type': 'application/rss+xml' }, body: wireFeed(fx.base) });
    ({ app, clock } = await openTestApp([
      { id: 'portal-latest', type: 'html', url: fx.url('/news/'), tags: ['新闻'], timezone: 'Asia/Shanghai', select: SELECT },
      { id: 'redesign', type: 'html', url: fx.url('/redesign/'), tags: ['改版'], timezone: 'Asia/Shanghai', select: { item: 'ul.latest li', title: 'a', date: '.time' } },
      { id: 'wire', url: fx.url('/wire.xml'), tags: ['wire'] },
    ], { concurrency: 1 }));
    first = await app.runCycle();
  });

  afterAll(async () => {
    await app.close();
    await fx.stop();
  });

  const body = (path: string, format: 'atom' | 'rss' | 'json') => app.feeds.get(path, format)!.body.toString('utf8');
  const portal = () => app.store.items().filter((i) => i.sourceId === 'portal-latest' || i.alsoIn.includes('portal-latest'));
  const byTitle = (title: string) => portal().find((i) => i.title === title)!;

  it('asks for HTML and reads every listed story, decoded from GBK by the page\'s <meta charset>', () => {
    expect(first.sources.every((s) => s.status === 'ok')).toBe(true);
    expect(fx.requests.find((r) => r.path === '/news/')!.headers.accept).toMatch(/^text\/html/);
    expect(portal().map((i) => i.title).sort()).toEqual([
      '国产大模型：既需“仰望星空”也要脚踏实地', '喆镕堃：北京今日晴转多云 气温回升', '年终回顾：十二月的十个瞬间',
      '新能源汽车3月销量创新高', '春季招聘会开幕 岗位逾万个',
    ].sort());
    // 5 stories and the sidebar's repeat; the "更多>>" row has neither title nor link and is no story.
    expect(app.store.sourceState('portal-latest')).toMatchObject({ feedTitle: '新闻中心_最新新闻', itemsSeen: 6, consecutiveFailures: 0 });
  });

  it('resolves relative links against the page URL and uses the canonical link as the id', () => {
    const item = byTitle('喆镕堃：北京今日晴转多云 气温回升');
    expect(item.link).toBe(fx.url('/news/2025/03/09/doc-a2.shtml?spm=c1.d2'));
    expect(item.id).toBe(fx.url('/news/2025/03/09/doc-a2.shtml').replace('http:', 'https:'));
    expect(byTitle('新能源汽车3月销量创新高').link).toBe(fx.url('/news/2025/03/08/doc-a3.shtml'));
  });

  it('reads full dates, month-day dates (this year, or last year when ahead) and 3月8日 in the source\'s zone', () => {
    expect(byTitle('国产大模型：既需“仰望星空”也要脚踏实地').published).toBe('2025-03-09T10:42:00.000Z');
    expect(byTitle('喆镕堃：北京今日晴转多云 气温回升').published).toBe('2025-03-08T16:00:00.000Z');
    expect(byTitle('新能源汽车3月销量创新高').published).toBe('2025-03-07T16:00:00.000Z');
    expect(byTitle('年终回顾：十二月的十个瞬间').published).toBe('2024-12-27T16:00:00.000Z');
  });

  it('gives an item without a date the time it was first seen', () => {
    expect(byTitle('春季招聘会开幕 岗位逾万个')).toMatchObject({ published: '2025-03-10T12:00:00.000Z', undated: true });
  });

  it('sanitizes summaries like feed HTML, with page-relative URLs made absolute', () => {
    const summary = byTitle('国产大模型：既需“仰望星空”也要脚踏实地').summary!;
    expect(summary).toContain('人工智能<b>加速</b>落地');
    expect(summary).toContain(`<img src="${fx.url('/img/ai.jpg')}" />`);
    expect(summary).not.toMatch(/script|onerror|alert/);
    expect(byTitle('新能源汽车3月销量创新高').summary).toBe('据中国汽车工业协会&amp;乘联会数据');
  });

  it('lists a story once, whether the sidebar repeats it or a feed carries it too', () => {
    const entries = atomEntries(body('latest', 'atom'));
    expect(entries.filter((e) => e.title.startsWith('国产大模型')).length).toBe(1);
    const story = byTitle('国产大模型：既需“仰望星空”也要脚踏实地');
    expect([story.sourceId, ...story.alsoIn].sort()).toEqual(['portal-latest', 'wire']);
    // Both sources' tag feeds carry it.
    for (const tag of ['新闻', 'wire']) expect(body(`tags/${tag}`, 'json')).toContain('国产大模型');
  });

  it('serves the page\'s items in valid Atom, RSS and JSON feeds, per tag and per source', () => {
    for (const path of ['latest', 'tags/新闻', 'sources/portal-latest']) {
      expect(lintAtom(body(path, 'atom'))).toEqual([]);
      expect(lintRss(body(path, 'rss'))).toEqual([]);
      expect(lintJsonFeed(body(path, 'json'))).toEqual([]);
    }
    const titles = JSON.parse(body('sources/portal-latest', 'json')).items.map((i: { title: string }) => i.title);
    expect(titles).toContain('春季招聘会开幕 岗位逾万个');
  });

  it('keeps an undated item\'s first-seen time and the feed order across fetches', async () => {
    const before = body('tags/新闻', 'atom');
    clock.advance(3600_000);
    const report = await app.runCycle(['portal-latest']);
    expect(report.sources[0]).toMatchObject({ status: 'ok' });
    expect(report.added + report.updated).toBe(0);
    expect(byTitle('春季招聘会开幕 岗位逾万个').published).toBe('2025-03-10T12:00:00.000Z');
    expect(body('tags/新闻', 'atom')).toBe(before);
  });

  it('reports a selector that matches nothing as the source\'s error and keeps its stored items', async () => {
    const stored = app.store.items().filter((i) => i.sourceId === 'redesign').map((i) => i.id).sort();
    expect(stored.length).toBeGreaterThan(0);
    fx.routes.set('/redesign/', { headers: { 'content-type': 'text/html; charset=utf-8' },
      body: '<!DOCTYPE html><html><body><div class="feed-list"><article><h3><a href="/x">改版后</a></h3></article></div></body></html>' });
    const report = await app.runCycle(['redesign'], { force: true });
    expect(report.sources[0]).toMatchObject({ status: 'error' });
    const state = app.store.sourceState('redesign');
    expect(state.lastError).toContain('selector `ul.latest li` matched 0 elements');
    expect(state.lastError).toContain(fx.url('/redesign/'));
    expect(state.consecutiveFailures).toBe(1);
    expect(app.store.items().filter((i) => i.sourceId === 'redesign').map((i) => i.id).sort()).toEqual(stored);
    expect(body('sources/redesign', 'json')).toContain('改版前的最后一条');
  });
});

describe('tributary check on a type: html source', () => {
  it('reports a broken selector as FILE:LINE: key: message, exit 1', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tributary-html-check-')), 'sources.yaml');
    writeFileSync(file, ['sources:', '  - id: portal-latest', '    type: html', '    url: https://portal.example.cn/news/',
      '    select:', '      item: "ul.latest > li:nth-child(2n+"', '      title: a', ''].join('\n'));
    const res = await runCli(['check', '--config', file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${file}:6: sources.0.select.item: is not a valid CSS selector`);
  });
});
