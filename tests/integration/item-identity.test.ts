// What makes two fetched entries the same stored item: edits are updates, never second items; undated items keep
// the time first seen, across fetches and restarts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, TestClock, type TestSource } from '../helpers/test-app.ts';

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

async function open(sources: TestSource[], clock = new TestClock(), dataDir?: string) {
  const t = await openTestApp(sources, {}, clock, dataDir ? { dataDir } : {});
  opened.push(t.app);
  return t;
}

interface Entry { guid?: string; permaLink?: boolean; title: string; link: string; date?: string }
const rss = (entries: Entry[]) => `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Edits</title><link>https://site.example/</link>`
  + entries.map((e) => `<item>${e.guid ? `<guid isPermaLink="${e.permaLink ?? false}">${e.guid}</guid>` : ''}<title>${e.title}</title>`
    + `<link>${e.link.replaceAll('&', '&amp;')}</link>${e.date ? `<pubDate>${e.date}</pubDate>` : ''}</item>`).join('') + '</channel></rss>';

const DATE = 'Mon, 10 Mar 2025 09:00:00 GMT';
type Edit = [string, Entry, Entry];
const EDITS: Edit[] = [
  ['guid-keyed: a typo fixed in the title', { guid: 'story-1', title: 'Teh budget passes', link: 'https://site.example/a', date: DATE }, { guid: 'story-1', title: 'The budget passes', link: 'https://site.example/a', date: DATE }],
  ['guid-keyed: the link moves from http to https', { guid: 'story-1', title: 'Budget', link: 'http://site.example/a', date: DATE }, { guid: 'story-1', title: 'Budget', link: 'https://site.example/a', date: DATE }],
  ['guid-keyed: a tracking parameter is added', { guid: 'story-1', title: 'Budget', link: 'https://site.example/a', date: DATE }, { guid: 'story-1', title: 'Budget', link: 'https://site.example/a?utm_source=rss&utm_medium=feed', date: DATE }],
  ['permalink-guid: http to https and a tracking parameter', { guid: 'http://site.example/a', permaLink: true, title: 'Budget', link: 'http://site.example/a', date: DATE }, { guid: 'https://site.example/a?spm=1.2', permaLink: true, title: 'Budget', link: 'https://site.example/a?spm=1.2', date: DATE }],
  ['link-keyed: a typo fixed in the title', { title: 'Teh budget passes', link: 'https://site.example/a', date: DATE }, { title: 'The budget passes', link: 'https://site.example/a', date: DATE }],
  ['link-keyed: the link moves from http to https', { title: 'Budget', link: 'http://site.example/a', date: DATE }, { title: 'Budget', link: 'https://site.example/a', date: DATE }],
  ['link-keyed: a tracking parameter is added', { title: 'Budget', link: 'https://site.example/a', date: DATE }, { title: 'Budget', link: 'https://site.example/a?utm_source=rss&from=timeline', date: DATE }],
];

describe('edits are updates, not duplicates', () => {
  it.each(EDITS)('%s', async (_name, before, after) => {
    const other = { guid: before.guid ? 'story-2' : undefined, title: 'Other story', link: 'https://site.example/b', date: DATE };
    fx.routes.set('/edits.xml', { body: rss([before, other]) });
    const { app, clock } = await open([{ id: 'edits', url: fx.url('/edits.xml') }]);
    await app.runCycle();
    const stored = app.store.items().find((i) => i.title !== 'Other story')!;
    fx.routes.set('/edits.xml', { body: rss([after, other]) });
    clock.advance(15 * 60_000);
    const report = await app.runCycle();
    expect(report.added).toBe(0);
    expect(app.store.items()).toHaveLength(2);
    const now = app.store.items().find((i) => i.title !== 'Other story')!;
    expect(now.id).toBe(stored.id);
    expect(now.title).toBe(after.title);
    expect(now.link).toBe(new URL(after.link).href);
    // A third fetch of the same document changes nothing.
    clock.advance(15 * 60_000);
    const third = await app.runCycle();
    expect([third.added, third.updated]).toEqual([0, 0]);
  });
});

describe('tracking parameters never enter a key', () => {
  it('a guid that is a URL with tracking parameters (and no link) stays one item when they change', async () => {
    const entry = (query: string) => `<item><guid isPermaLink="false">http://site.example/story/7${query}</guid><title>Story 7</title><pubDate>${DATE}</pubDate></item>`;
    const doc = (query: string) => `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>${entry(query)}</channel></rss>`;
    fx.routes.set('/guid-utm.xml', { body: doc('?utm_source=rss&amp;id=7') });
    const { app, clock } = await open([{ id: 'guid-utm', url: fx.url('/guid-utm.xml') }]);
    await app.runCycle();
    fx.routes.set('/guid-utm.xml', { body: doc('?id=7&amp;utm_source=app&amp;spm=a.b') });
    clock.advance(15 * 60_000);
    const report = await app.runCycle();
    expect(report.added).toBe(0);
    expect(app.store.items()).toHaveLength(1);
  });
});

describe('undated items keep the time first seen', () => {
  it('never jump back to the top on later fetches, edits, or after a restart of the App', async () => {
    const undated = (titles: string[]) => rss(titles.map((title) => ({ guid: `u-${title.split(" ")[0]}`, title, link: `https://site.example/u/${title.split(" ")[0]}` })));
    fx.routes.set('/undated.xml', { body: undated(['First']) });
    const clock = new TestClock('2025-03-10T12:00:00.000Z');
    const first = await open([{ id: 'undated', url: fx.url('/undated.xml') }], clock);
    await first.app.runCycle();
    clock.advance(3600_000);
    fx.routes.set('/undated.xml', { body: undated(['Second', 'First']) });
    await first.app.runCycle();
    const order = (app: App) => JSON.parse(app.feeds.get('latest', 'json')!.body.toString()).items.map((i: { title: string; date_published: string }) => [i.title, i.date_published]);
    const expected = [['Second', '2025-03-10T13:00:00.000Z'], ['First', '2025-03-10T12:00:00.000Z']];
    expect(order(first.app)).toEqual(expected);
    opened.splice(opened.indexOf(first.app), 1);
    await first.app.close();

    // A real restart on the same data directory, hours later; the source now lists First on top, edited.
    clock.advance(5 * 3600_000);
    fx.routes.set('/undated.xml', { body: undated(['First (updated)', 'Second']) });
    const again = await open([{ id: 'undated', url: fx.url('/undated.xml') }], clock, first.dataDir);
    expect(order(again.app)).toEqual(expected);
    const report = await again.app.runCycle();
    expect(report.added).toBe(0);
    expect(order(again.app)).toEqual([expected[0], ['First (updated)', '2025-03-10T12:00:00.000Z']]);
  });
});
