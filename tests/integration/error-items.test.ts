// errorItems: true puts one item into a failing source's own feed, so an editor who only reads feeds sees the
// outage; never into latest or tag feeds; gone after recovery.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer, type FixtureResponse } from '../helpers/fixture-server.ts';
import { openTestApp, rssFeed } from '../helpers/test-app.ts';

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

type JsonFeed = { items: { id: string; title: string; content_html?: string }[] };
const json = (app: App, path: string): JsonFeed => JSON.parse(app.feeds.get(path, 'json')!.body.toString());

describe('errorItems', () => {
  it('shows the outage in the source feed only, with an id that changes at most once a day, until recovery', async () => {
    let down = false;
    fx.routes.set('/wire.xml', (): FixtureResponse => (down ? { status: 502, body: 'bad gateway' } : { body: rssFeed('Wire', 2) }));
    fx.routes.set('/quiet.xml', { status: 500, body: 'boom' });
    const t = await openTestApp([
      { id: 'wire', url: fx.url('/wire.xml'), title: '新华社', tags: ['news'], errorItems: true },
      { id: 'quiet', url: fx.url('/quiet.xml'), tags: ['news'] },
    ]);
    opened.push(t.app);
    await t.app.runCycle(undefined, { force: true });
    expect(json(t.app, 'sources/wire').items).toHaveLength(2);
    expect(json(t.app, 'sources/quiet').items).toHaveLength(0);

    down = true;
    t.clock.advance(15 * 60_000);
    await t.app.runCycle(undefined, { force: true });
    const failing = json(t.app, 'sources/wire').items;
    expect(failing).toHaveLength(3);
    expect(failing[0]!.title).toMatch(/^源 新华社 抓取失败: HTTP 502/);
    const errorId = failing[0]!.id;
    expect(json(t.app, 'latest').items.map((i) => i.id)).not.toContain(errorId);
    expect(json(t.app, 'tags/news').items.map((i) => i.id)).not.toContain(errorId);
    expect(json(t.app, 'latest').items).toHaveLength(2);
    expect(json(t.app, 'sources/quiet').items).toHaveLength(0);

    // Still failing later the same day: the same item, not a new one per fetch.
    t.clock.advance(3 * 3600_000);
    await t.app.runCycle(undefined, { force: true });
    expect(json(t.app, 'sources/wire').items.filter((i) => i.title.startsWith('源 '))).toEqual([expect.objectContaining({ id: errorId })]);

    // The next day: one new item.
    t.clock.advance(24 * 3600_000);
    await t.app.runCycle(undefined, { force: true });
    const nextDay = json(t.app, 'sources/wire').items.filter((i) => i.title.startsWith('源 '));
    expect(nextDay).toHaveLength(1);
    expect(nextDay[0]!.id).not.toBe(errorId);

    down = false;
    t.clock.advance(15 * 60_000);
    await t.app.runCycle(undefined, { force: true });
    expect(json(t.app, 'sources/wire').items.map((i) => i.title)).toEqual(['Wire 1', 'Wire 2']);
  });
});
