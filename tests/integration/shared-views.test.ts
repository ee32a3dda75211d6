// Older pages and filtered views (?page, ?limit, ?filter, ?filterout, ?since) on the PostgreSQL store (a real
// server, tests/setup/postgres.ts) must be the embedded store's, byte for byte and ETag for ETag, for the same
// items: the embedded store cuts them from its in-memory lists (FeedSet.view), the PostgreSQL store reads them from
// the database (SharedViews), in chunks when filtering. A failing source's error item takes its place in both.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import type { Item, SourceState } from '../../src/model.ts';
import { ComposedFeeds } from '../../src/render/composed-feeds.ts';
import { FeedPageNotFoundError, FeedQueryError } from '../../src/render/errors.ts';
import { parseFeedQuery } from '../../src/render/feed-query.ts';
import { FeedSet } from '../../src/render/feed-set.ts';
import type { FeedFormat, RenderedFeed } from '../../src/render/render-feed.ts';
import { RuleTagging } from '../../src/rules/tagger.ts';
import { SharedViews } from '../../src/shared-views.ts';
import { siteContext } from '../../src/site-context.ts';
import { SiteRenderer } from '../../src/site-render.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { ItemStore } from '../../src/store/store.ts';
import { plain } from '../helpers/plain-text.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { sampleItem } from '../helpers/sample-items.ts';

const CONFIG = parseConfig(`title: 新闻聚合
baseUrl: http://tributary.test
defaults:
  limit: 4
rules:
  - tag: deepseek
    match: [DeepSeek]
sources:
  - id: world
    url: https://world.example.com/rss
    tags: [world, 新闻]
  - id: tech
    url: https://tech.example.com/atom
    tags: [科技]
  - id: down
    url: https://down.example.com/rss
    tags: [新闻]
    errorItems: true
  - id: quiet
    url: https://quiet.example.com/rss
    tags: [quiet]
`, 'sources.yaml');

// down failed since 2026-12-01 03:30: its error item falls between its stored items, not before them all.
const STATES: SourceState[] = [
  { id: 'world', consecutiveFailures: 0, feedTitle: plain('World Wire') },
  { id: 'down', consecutiveFailures: 2, lastError: 'source down (https://down.example.com/rss): HTTP 503', lastFetch: '2026-12-01T05:00:00.000Z', failingSince: '2026-12-01T03:30:00.000Z' },
];

function item(n: number, sourceId: string, fields: Partial<Item> = {}): Item {
  // Hours repeat (n % 9): many items share a date, and ties are broken by id, in code-unit order.
  const at = new Date(Date.UTC(2026, 11, 1) + (n % 9) * 3_600_000 - (n % 2) * 86_400_000).toISOString();
  const title = n % 4 === 0 ? `DeepSeek 新模型 ${n}` : n % 3 === 0 ? `今日新闻 ${n} <b>&</b> markets` : `Story ${n}`;
  return sampleItem(n, {
    id: `tag:tributary.test,2026:${sourceId}/${n}`, sourceId, key: `k${n}`, published: at, updated: at, firstSeen: at,
    title: plain(title), summary: `<p>第 ${n} 条 summary</p>`, link: `https://${sourceId}.example.com/${n}`, ...fields,
  });
}

let dir: string;
let feeds: FeedSet;
let composed: ComposedFeeds;
let pg: PgStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-shared-views-'));
  const embedded = await ItemStore.open(dir);
  pg = await PgStore.open({ url: await freshDatabase('shared_views'), pool: 3 });
  const tags = siteContext(CONFIG, {}, [], new RuleTagging()).tags;
  const items = [
    ...Array.from({ length: 17 }, (_, i) => item(i + 1, 'world')),
    ...Array.from({ length: 9 }, (_, i) => item(i + 30, 'tech', i % 4 === 1 ? { alsoIn: ['world'] } : {})),
    ...Array.from({ length: 11 }, (_, i) => item(i + 50, 'down')),
    // No summary: a filter reads the opening of the content (the PostgreSQL store reads no more of it than that).
    item(70, 'world', { summary: undefined, content: `<p>全文 needle ${'<b>长文</b> '.repeat(6000)}</p>` }),
    item(71, 'world', { summary: undefined, content: `<p>${'😀'.repeat(17000)} needle</p>` }),
  ];
  embedded.apply(items, []);
  for (const sourceId of ['world', 'tech', 'down']) {
    await pg.write({ sourceId, added: items.filter((i) => i.sourceId === sourceId), updated: [], titleWindowMs: 0, tags });
  }
  for (const state of STATES) embedded.setSourceState(state);
  feeds = new FeedSet();
  composed = new ComposedFeeds();
  new SiteRenderer({ config: () => CONFIG, store: embedded, feeds, composed, hubs: () => [] }).render();
});

afterAll(async () => {
  await pg?.close();
  await rm(dir, { recursive: true, force: true });
});

const states = Object.fromEntries(STATES.map((s) => [s.id, s]));

const site = { config: CONFIG, states, hubs: [], tagging: new RuleTagging() };

/** The view as the PostgreSQL store's instances make it (shared-app.ts #view), or the error it is refused with. */
function pgView(views: SharedViews, path: string, format: FeedFormat, params: string): Promise<RenderedFeed | Error> {
  const query = parseFeedQuery(new URLSearchParams(params))!;
  return views.feedView(site, path, format, query, 1)!.catch((err: Error) => err);
}

async function embeddedView(path: string, format: FeedFormat, params: string): Promise<RenderedFeed | Error> {
  try {
    return await feeds.view(path, format, parseFeedQuery(new URLSearchParams(params))!)!;
  } catch (err) {
    return err as Error;
  }
}

const QUERIES = [
  'page=2', 'limit=3&page=3', 'limit=1&page=12',
  'filter=DeepSeek', 'filter=deepseek&limit=2&page=2', 'filterout=/新闻|story 1/', 'filter=/markets|模型/&filterout=DeepSeek',
  // pages of filtered views that hold the error item (sources/down) amid stored items of two chunks
  'filterout=/新闻|story 1/&limit=3&page=2', 'filter=/失败|story|模型/&limit=2&page=3',
  'since=2026-12-01T04:00:00Z', 'since=2026-12-01&limit=2&page=3', 'since=2026-11-30T05:00:00+08:00&filter=story',
  // nothing matches: an empty feed dated by the feed's newest update; nothing that recent: the same
  'filter=nothing-matches-this', 'since=2027-01-01', 'filter=needle',
  // past the last page: 404 on either store
  'filter=DeepSeek&page=5', 'limit=500&page=2',
];

describe('views on the PostgreSQL store against the embedded store', () => {
  it('gives the same bytes, ETag and Last-Modified for every feed, query and format, the error item in place', async () => {
    // Chunks of 3: every read of more than a chunk crosses chunk boundaries, the error item's among them.
    const views = new SharedViews(pg.pool, { chunkItems: 3 });
    const paths = feeds.specs().map((s) => s.path);
    expect(paths).toContain('sources/down');
    let compared = 0;
    for (const path of paths) {
      for (const params of QUERIES) {
        for (const format of ['atom', 'json', 'html', 'rss'] as const) {
          const want = await embeddedView(path, format, params);
          const got = await pgView(views, path, format, params);
          const label = `${path}.${format}?${params}`;
          if (want instanceof Error) {
            expect(got, label).toBeInstanceOf(Error);
            expect((got as Error).message, label).toBe(want.message);
            continue;
          }
          expect(got, label).not.toBeInstanceOf(Error);
          const rendered = got as RenderedFeed;
          expect(rendered.body.toString(), label).toBe(want.body.toString());
          expect(rendered.etag, label).toBe(want.etag);
          expect(rendered.lastModified, label).toBe(want.lastModified);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(300);
    // What the comparison covered: the error item is past page 1 of its source (limit 4), with stored items after it.
    const down = feeds.specs().find((s) => s.path === 'sources/down')!.all;
    const at = down.findIndex((i) => i.key.startsWith('error:'));
    expect(at).toBeGreaterThanOrEqual(4);
    expect(at).toBeLessThan(down.length - 1);
    const page2 = (await pgView(views, 'sources/down', 'json', 'page=2')) as RenderedFeed;
    expect(page2.body.toString()).toContain('HTTP 503');
    expect(await pgView(views, 'latest', 'atom', 'filter=DeepSeek&page=5')).toBeInstanceOf(FeedPageNotFoundError);
    // The content read for a filter is the opening the embedded store reads: a word there is found, one past the
    // text's 4,096 characters is not, on either store; the page's item is then read whole.
    const needle = JSON.parse(((await pgView(views, 'latest', 'json', 'filter=needle')) as RenderedFeed).body.toString()) as { items: { id: string; content_html: string }[] };
    expect(needle.items.map((i) => i.id)).toEqual(['tag:tributary.test,2026:world/70']);
    expect(needle.items[0]!.content_html.length).toBeGreaterThan(60_000);
    // ~1,100 views rendered on both stores, one after the other: ~23 s alone on the 2-core machine, more beside the suite.
  }, 180_000);

  it('keeps a view until the next publication, remembers a refusal, and filters only the newest candidates', async () => {
    const views = new SharedViews(pg.pool, { chunkItems: 4, maxFilteredItems: 10 });
    const first = (await pgView(views, 'latest', 'json', 'filter=story')) as RenderedFeed;
    expect(views.made).toBe(1);
    expect(await pgView(views, 'latest', 'json', 'filter=story')).toBe(first);
    expect(views.made).toBe(1);
    // The newest 10 items of latest are looked at, and only those that match are shown.
    const latest = feeds.specs().find((s) => s.path === 'latest')!.all;
    const newest = latest.slice(0, 10).filter((i) => /story/i.test(i.title)).map((i) => i.id);
    const shown = (JSON.parse(first.body.toString()) as { items: { id: string }[] }).items.map((i) => i.id);
    expect(shown).toEqual(newest.slice(0, 4));
    expect(latest.filter((i) => /story/i.test(i.title)).length).toBeGreaterThan(newest.length);
    // A bad query is refused before any read; a page past the end once read is refused again without one.
    expect(await pgView(views, 'latest', 'json', 'filter=story&page=9')).toBeInstanceOf(FeedPageNotFoundError);
    const made = views.made;
    expect(await pgView(views, 'latest', 'json', 'filter=story&page=9')).toBeInstanceOf(FeedPageNotFoundError);
    expect(views.made).toBe(made);
    expect(() => parseFeedQuery(new URLSearchParams('filter=/(a/'))).toThrow(FeedQueryError);
    // A feed the config does not have is no view at all (404), and nothing is read for it.
    expect(views.feedView(site, 'tags/nope', 'atom', parseFeedQuery(new URLSearchParams('page=2'))!, 1)).toBeUndefined();
    expect(views.made).toBe(made);
  });
});

/** A composed feed as the embedded store serves it (app.ts: page 1 without a query, else a view), or its refusal. */
async function embeddedComposed(path: string, format: FeedFormat, params: string): Promise<RenderedFeed | Error | undefined> {
  try {
    const query = parseFeedQuery(new URLSearchParams(params));
    return await (query ? composed.view(path, format, query) : composed.get(path, format));
  } catch (err) {
    return err as Error;
  }
}

/** The same on the PostgreSQL store (shared-app.ts: composedView for page 1, feedView for a query). */
async function pgComposed(views: SharedViews, path: string, format: FeedFormat, params: string): Promise<RenderedFeed | Error | undefined> {
  const query = parseFeedQuery(new URLSearchParams(params));
  const made = query ? views.feedView(site, path, format, query, 1) : views.composedView(site, path, format, { page: 1 }, 1);
  return made?.catch((err: Error) => err);
}

const COMPOSED = [
  // and, or, both, in another order (the canonical path's feed), across an alsoIn item (tech items also in world)
  'tags/world+deepseek', 'tags/deepseek+world', 'tags/科技,deepseek', 'tags/新闻+科技', 'tags/world+新闻,科技+deepseek',
  // a tag no item carries: an empty feed, and one with items of the other tag only
  'tags/quiet+world', 'tags/quiet,科技',
];

describe('tag feeds composed in the URL on the PostgreSQL store against the embedded store', () => {
  it('gives the same bytes, ETag and Last-Modified for page 1, pages and filtered views', async () => {
    const views = new SharedViews(pg.pool, { chunkItems: 3 });
    let compared = 0;
    for (const path of COMPOSED) {
      for (const params of ['', ...QUERIES]) {
        for (const format of ['atom', 'json', 'html', 'rss'] as const) {
          const want = await embeddedComposed(path, format, params);
          const got = await pgComposed(views, path, format, params);
          const label = `${path}.${format}?${params}`;
          expect(want, label).toBeDefined();
          if (want instanceof Error) {
            expect(got, label).toBeInstanceOf(Error);
            expect((got as Error).message, label).toBe(want.message);
            continue;
          }
          expect(got, label).not.toBeInstanceOf(Error);
          const rendered = got as RenderedFeed;
          expect(rendered.body.toString(), label).toBe(want!.body.toString());
          expect(rendered.etag, label).toBe(want!.etag);
          expect(rendered.lastModified, label).toBe(want!.lastModified);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(300);
    // What the comparison covered: an empty composed feed, one of a single page and one of several.
    const count = async (path: string) => (JSON.parse(((await pgComposed(views, path, 'json', 'limit=500')) as RenderedFeed).body.toString()) as { items: unknown[] }).items.length;
    expect(await count('tags/quiet+world')).toBe(0);
    expect(await count('tags/world+deepseek')).toBeGreaterThan(0);
    expect(await count('tags/新闻+科技')).toBeGreaterThan(0);
    expect(await count('tags/quiet,科技')).toBe(9);
    expect(await count('tags/科技,deepseek')).toBeGreaterThan(4);
  }, 180_000);

  it('refuses unknown tags and too many tags as the embedded store does, reading nothing, and keeps page 1 until the next publication', async () => {
    const views = new SharedViews(pg.pool);
    for (const path of ['tags/world+nope', 'tags/nope,world', `tags/${Array.from({ length: 9 }, () => 'world').join('+')}`, 'tags/world+', 'tags/,world']) {
      for (const params of ['', 'page=2']) {
        expect(await embeddedComposed(path, 'atom', params), path).toBeUndefined();
        expect(await pgComposed(views, path, 'atom', params), path).toBeUndefined();
      }
    }
    // A plain tag is no composed feed: the renderer publishes its page 1.
    expect(views.composedView(site, 'tags/world', 'atom', { page: 1 }, 1)).toBeUndefined();
    // Eight tags are allowed on both.
    const eight = `tags/${['world', '新闻', '科技', 'deepseek', 'quiet', 'world', '新闻', '科技'].join(',')}`;
    expect(await embeddedComposed(eight, 'atom', '')).toBeDefined();
    expect(views.made).toBe(0);
    const first = (await pgComposed(views, eight, 'atom', '')) as RenderedFeed;
    expect(first.body.toString()).toBe(((await embeddedComposed(eight, 'atom', '')) as RenderedFeed).body.toString());
    expect(views.made).toBe(1);
    expect(await pgComposed(views, eight, 'atom', '')).toBe(first);
    expect(views.made).toBe(1);
    // The next publication reads it again.
    const again = await views.composedView(site, eight, 'atom', { page: 1 }, 2)!;
    expect(views.made).toBe(2);
    expect(again.etag).toBe(first.etag);
  });
});
