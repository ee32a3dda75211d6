// A document read with something to tell (cut off at its end, a date zone nobody knows): its items are kept, and
// the operator sees why at /status and in the index, and once in the log: not at every fetch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, rssFeed, type TestApp } from '../helpers/test-app.ts';

const fx = new FixtureServer();
let t: TestApp;
let app: App;
let base: string;

const RSS = { 'content-type': 'application/rss+xml' };
// Three whole items, then the download stops inside a fourth: no </channel></rss>.
const cut = rssFeed('Cut', 3).replace('</channel></rss>\n', '<item><title>Cut 4</title><link>https://news.example.org/Cut/4</li');
const nothing = '<?xml version="1.0"?><rss version="2.0"><channel><title>Nothing</title><item><title>Half';
const zone = rssFeed('Zone', 2).replaceAll(' GMT</pubDate>', ' XYZ</pubDate>');

interface Status { id: string; items: number; itemsSeen: number | null; consecutiveFailures: number; lastError: string | null; warnings: string[] }
const statusOf = async (id: string) => ((await (await fetch(`${base}/status`)).json()) as { sources: Status[] }).sources.find((s) => s.id === id)!;
const warningLines = () => t.logs.filter((l) => typeof l.warning === 'string');

beforeAll(async () => {
  await fx.start();
  fx.routes.set('/cut.xml', { headers: RSS, body: cut });
  fx.routes.set('/nothing.xml', { headers: RSS, body: nothing });
  fx.routes.set('/zone.xml', { headers: RSS, body: zone });
  t = await openTestApp([
    { id: 'cut', url: fx.url('/cut.xml') },
    { id: 'nothing', url: fx.url('/nothing.xml') },
    { id: 'zone', url: fx.url('/zone.xml'), timezone: 'Asia/Shanghai' },
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

describe('documents read with a warning', () => {
  it('stores the complete items of a cut-off document and shows the cut at /status', async () => {
    expect(await statusOf('cut')).toMatchObject({
      items: 3, itemsSeen: 3, consecutiveFailures: 0, lastError: null,
      warnings: [expect.stringMatching(/^the document is cut off before its end \(.+\); read the 3 complete items before the cut$/)],
    });
  });

  it('fails a document cut before its first complete item, saying so', async () => {
    const status = await statusOf('nothing');
    expect(status).toMatchObject({ items: 0, consecutiveFailures: 1, warnings: [] });
    expect(status.lastError).toMatch(/^source nothing \(.+\): unparsable XML: .*the document is cut off before its first complete item$/);
  });

  it('reads a date with an unknown zone in the source zone and says so at /status', async () => {
    expect((await statusOf('zone')).warnings).toEqual([
      'dates with the unknown zone "XYZ" are read in the source\'s timezone (Asia/Shanghai); set the source\'s timezone if that is not theirs',
    ]);
    // "Mon, 10 Mar 2025 10:00:00 XYZ" is 10:00 in Shanghai, not 10:00 UTC.
    const feed = await (await fetch(`${base}/feeds/sources/zone.json`)).json() as { items: { date_published: string }[] };
    expect(feed.items.map((i) => i.date_published)).toContain('2025-03-10T02:00:00.000Z');
  });

  it('shows the warnings in the index row of the source', async () => {
    const html = await (await fetch(`${base}/`)).text();
    const row = html.split('\n').find((l) => l.includes('data-source="cut"'))!;
    expect(row).toContain('the document is cut off before its end');
  });

  it('logs each warning once, not at every fetch, and clears it when a whole document comes', async () => {
    expect(warningLines().map((l) => l.source).sort()).toEqual(['cut', 'zone']);
    t.clock.advance(3_600_000);
    await app.runCycle(['cut', 'zone'], { force: true });
    expect(warningLines()).toHaveLength(2);
    fx.routes.set('/cut.xml', { headers: RSS, body: rssFeed('Cut', 4) });
    t.clock.advance(3_600_000);
    await app.runCycle(['cut'], { force: true });
    expect(await statusOf('cut')).toMatchObject({ items: 4, warnings: [] });
  });
});
