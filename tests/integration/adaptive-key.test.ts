// A source whose guids are blank or repeated gets a dedupe key that works for it: link, then link+date, then
// link+date+title. The choice is remembered in its status and logged.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, TestClock } from '../helpers/test-app.ts';

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

interface Entry { guid?: string; title: string; link: string; date?: string }
const rss = (entries: Entry[]) => `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Keys</title><link>https://cms.example/</link>`
  + entries.map((e) => `<item>${e.guid !== undefined ? `<guid isPermaLink="false">${e.guid}</guid>` : ''}<title>${e.title}</title>`
    + `<link>${e.link.replaceAll('&', '&amp;')}</link>${e.date ? `<pubDate>${e.date}</pubDate>` : ''}</item>`).join('') + '</channel></rss>';
const hour = (i: number) => `Mon, 10 Mar 2025 ${String(i % 24).padStart(2, '0')}:00:00 GMT`;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

type Row = [string, Entry[], string];
const ROWS: Row[] = [
  ['every guid the same: link', range(20).map((i) => ({ guid: 'article', title: `Story ${i}`, link: `https://cms.example/a/${i}?utm_source=rss`, date: hour(i) })), 'link'],
  ['2 of 20 guids blank (10%): link', range(20).map((i) => ({ ...(i < 2 ? { guid: '' } : { guid: `id-${i}` }), title: `Story ${i}`, link: `https://cms.example/a/${i}`, date: hour(i) })), 'link'],
  ['no guid, one link for all: link+date', range(20).map((i) => ({ title: `Story ${i}`, link: 'https://cms.example/index.html', date: hour(i) })), 'link+date'],
  ['no guid, one link and one date: link+date+title', range(20).map((i) => ({ title: `Story ${i}`, link: 'https://cms.example/index.html', date: hour(1) })), 'link+date+title'],
];

describe('a dedupe key that adapts to the source', () => {
  it.each(ROWS)('%s', async (_name, entries, mode) => {
    fx.routes.set('/keys.xml', { body: rss(entries) });
    const t = await openTestApp([{ id: 'keys', url: fx.url('/keys.xml') }], {}, new TestClock());
    opened.push(t.app);
    const first = await t.app.runCycle();
    expect(first.added).toBe(20);
    expect(t.app.store.sourceState('keys').dedupeKey).toBe(mode);
    const status = t.app.site().status() as { sources: { id: string; dedupeKey: string }[] };
    expect(status.sources.find((s) => s.id === 'keys')!.dedupeKey).toBe(mode);
    expect(t.logs.some((l) => l.source === 'keys' && l.dedupeKey === mode && String(l.msg).includes('dedupe key switched'))).toBe(true);
    t.clock.advance(15 * 60_000);
    const second = await t.app.runCycle();
    expect([second.added, second.updated]).toEqual([0, 0]);
    expect(t.app.store.items()).toHaveLength(20);
  });

  it('keeps guids when fewer than 5% are blank or repeated, and shows guid in the status', async () => {
    fx.routes.set('/good.xml', { body: rss(range(40).map((i) => ({ ...(i === 0 ? { guid: '' } : { guid: `id-${i}` }), title: `S ${i}`, link: `https://cms.example/g/${i}`, date: hour(i) }))) });
    const t = await openTestApp([{ id: 'good', url: fx.url('/good.xml') }]);
    opened.push(t.app);
    await t.app.runCycle();
    expect(t.app.store.sourceState('good').dedupeKey).toBeUndefined();
    const status = t.app.site().status() as { sources: { id: string; dedupeKey: string }[] };
    expect(status.sources[0]!.dedupeKey).toBe('guid');
  });

  it('switching from guid to link on a later fetch yields no second copy of stored items', async () => {
    const entries = range(20).map((i) => ({ guid: `id-${i}`, title: `Story ${i}`, link: `https://cms.example/s/${i}`, date: hour(i) }));
    fx.routes.set('/switch.xml', { body: rss(entries) });
    const t = await openTestApp([{ id: 'switch', url: fx.url('/switch.xml') }]);
    opened.push(t.app);
    await t.app.runCycle();
    // The CMS is migrated and now repeats one guid everywhere.
    fx.routes.set('/switch.xml', { body: rss(entries.map((e) => ({ ...e, guid: 'same' }))) });
    t.clock.advance(15 * 60_000);
    const report = await t.app.runCycle();
    expect(report.added).toBe(0);
    expect(t.app.store.items()).toHaveLength(20);
    expect(t.app.store.sourceState('switch').dedupeKey).toBe('link');
  });
});
