// Items dated "3分钟前" or "昨天 18:42": read against the fetch time in the source's zone, and stable afterwards.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp } from '../helpers/test-app.ts';

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

const feed = (items: [string, string][]) => `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>滚动</title>`
  + items.map(([id, date]) => `<item><guid isPermaLink="false">${id}</guid><title>新闻 ${id}</title><link>https://news.example.cn/${id}</link><pubDate>${date}</pubDate></item>`).join('')
  + '</channel></rss>';

describe('Chinese relative times', () => {
  it('resolves 3分钟前, 2小时前 and 昨天 18:42 against the fetch time in the source zone, and keeps them on later fetches', async () => {
    fx.routes.set('/relative.xml', { body: feed([['a', '3分钟前'], ['b', '2小时前'], ['c', '昨天 18:42'], ['d', '刚刚']]) });
    const t = await openTestApp([{ id: 'rel', url: fx.url('/relative.xml'), timezone: 'Asia/Shanghai' }]);
    opened.push(t.app);
    await t.app.runCycle();
    const dates = () => Object.fromEntries(t.app.store.items().map((i) => [i.title, [i.published, i.undated ?? false]]));
    expect(dates()).toEqual({
      '新闻 a': ['2025-03-10T11:57:00.000Z', false],
      '新闻 b': ['2025-03-10T10:00:00.000Z', false],
      '新闻 c': ['2025-03-09T10:42:00.000Z', false],
      '新闻 d': ['2025-03-10T12:00:00.000Z', false],
    });
    // Ten minutes later the page still says "3分钟前" (it is cached, or the counter is coarse): the item stays put.
    t.clock.advance(10 * 60_000);
    const second = await t.app.runCycle();
    expect(second.updated).toBe(0);
    expect(dates()['新闻 a']).toEqual(['2025-03-10T11:57:00.000Z', false]);
  });
});
