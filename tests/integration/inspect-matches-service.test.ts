// `inspect` prints what the service would store for the same document: both key a source's items through
// dedupe/source-key.ts. Two documents where they used to differ: a guid repeated by an update of its entry,
// and guid-less entries sharing one link. The service switches the source's dedupe key and stores both copies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { runCli } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp } from '../helpers/test-app.ts';

const item = (title: string, link: string, date: string, guid?: string) => `<item><title>${title}</title><link>${link}</link>`
  + `<pubDate>${date}</pubDate>${guid ? `<guid isPermaLink="false">${guid}</guid>` : ''}</item>`;
const rss = (items: string[]) => `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>`
  + `<link>https://wire.example.org/</link>${items.join('')}</channel></rss>`;

const DOCS = {
  // The CMS lists an edited story again under the same guid, with its corrected title.
  '/repeated-guid.xml': rss([
    item('Minister resigns', 'https://wire.example.org/a', 'Mon, 10 Mar 2025 09:00:00 GMT', 'story-1'),
    item('Budget passes', 'https://wire.example.org/b', 'Mon, 10 Mar 2025 08:00:00 GMT', 'story-2'),
    item('Minister resigns over budget (updated)', 'https://wire.example.org/a', 'Mon, 10 Mar 2025 09:30:00 GMT', 'story-1'),
    item('Storm warning', 'https://wire.example.org/c', 'Mon, 10 Mar 2025 07:00:00 GMT', 'story-3'),
  ]),
  // A live blog: one page, a new entry for each post, no guids.
  '/shared-link.xml': rss([
    item('Live: 10:00 polls open', 'https://wire.example.org/live', 'Mon, 10 Mar 2025 10:00:00 GMT'),
    item('Live: 09:00 turnout high', 'https://wire.example.org/live', 'Mon, 10 Mar 2025 09:00:00 GMT'),
    item('Other story', 'https://wire.example.org/other', 'Mon, 10 Mar 2025 08:00:00 GMT'),
  ]),
};

const fx = new FixtureServer();
let app: App;

beforeAll(async () => {
  await fx.start();
  for (const [path, body] of Object.entries(DOCS)) fx.routes.set(path, { headers: { 'content-type': 'application/rss+xml' }, body });
  ({ app } = await openTestApp(Object.keys(DOCS).map((path) => ({ id: path.slice(1, -4), url: fx.url(path) }))));
  await app.runCycle();
});

afterAll(async () => {
  await app.close();
  await fx.stop();
});

describe('inspect and the service store the same items', () => {
  it.each([
    ['a guid repeated by an updated copy', '/repeated-guid.xml', 4, 'link+date'],
    ['guid-less items sharing a link', '/shared-link.xml', 3, 'link+date'],
  ])('%s', async (_name, path, count, dedupeKey) => {
    const id = path.slice(1, -4);
    const stored = app.store.items().filter((i) => i.sourceId === id).map((i) => [i.title, i.link, i.published]).sort();
    expect(stored).toHaveLength(count);
    expect(app.store.sourceState(id).dedupeKey).toBe(dedupeKey);
    const res = await runCli(['inspect', fx.url(path)]);
    expect(res.code).toBe(0);
    const inspected = res.stdout.trim().split('\n').map((l) => JSON.parse(l)).map((i) => [i.title, i.link, i.published]).sort();
    expect(inspected).toEqual(stored);
    expect(res.stderr).toContain(`dedupe key ${dedupeKey}, not guid`);
  });
});
