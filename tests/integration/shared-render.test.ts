// The same items give the same feeds, byte for byte and ETag for ETag, whichever store holds them: the embedded
// store rendered by SiteRenderer, and PostgreSQL (a real server, tests/setup/postgres.ts) rendered by
// SharedRenderer, published, and read back by an instance following the database (RenderedFollower). A reader
// moved from one kind of installation to the other, or between instances, keeps getting 304.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/types.ts';
import type { Item, SourceState } from '../../src/model.ts';
import { ComposedFeeds } from '../../src/render/composed-feeds.ts';
import { FeedSet } from '../../src/render/feed-set.ts';
import { RuleTagging } from '../../src/rules/tagger.ts';
import { SharedRenderer } from '../../src/shared-render.ts';
import { siteContext } from '../../src/site-context.ts';
import { SiteRenderer } from '../../src/site-render.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { RenderedFollower } from '../../src/store/pg/follower.ts';
import { ItemStore } from '../../src/store/store.ts';
import { plain } from '../helpers/plain-text.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { until } from '../helpers/poll.ts';
import { sampleItem } from '../helpers/sample-items.ts';

const CONFIG = parseConfig(`title: 新闻聚合
language: zh-CN
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
`, 'sources.yaml');

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function item(n: number, sourceId: string, fields: Partial<Item> = {}): Item {
  const day = new Date(Date.UTC(2026, 11, 1) + (n % 9) * 3_600_000).toISOString();
  return sampleItem(n, {
    id: `tag:tributary.test,2026:${sourceId}/${n}`, sourceId, key: `k${n}`, published: day, updated: day, firstSeen: day,
    title: plain(n % 4 === 0 ? `DeepSeek 新模型 ${n}` : `今日新闻 ${n} <b>&</b>`),
    link: `https://${sourceId}.example.com/${n}`, ...fields,
  });
}

const STATES: SourceState[] = [
  { id: 'world', consecutiveFailures: 0, feedTitle: plain('World Wire'), feedLink: 'https://world.example.com/' },
  { id: 'down', consecutiveFailures: 4, lastError: 'source down (https://down.example.com/rss): HTTP 500', lastFetch: '2026-12-01T06:00:00.000Z', failingSince: '2026-12-01T00:00:00.000Z' },
];

/** The embedded store rendered by `config()` (read at each render), PostgreSQL written as the writers do. */
async function bothStores(config: () => Config = () => CONFIG) {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-shared-render-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const embedded = await ItemStore.open(dir);
  const feeds = new FeedSet();
  const siteRenderer = new SiteRenderer({ config, store: embedded, feeds, composed: new ComposedFeeds(), hubs: () => [] });
  const pg = await PgStore.open({ url: await freshDatabase('shared_render'), pool: 3 });
  closers.push(() => pg.close());
  // The writer's tags: those of the config it runs, the first one unless a test says otherwise.
  const write = async (added: Item[], updated: Item[] = [], writerConfig = CONFIG) => {
    const tags = siteContext(writerConfig, {}, [], new RuleTagging()).tags;
    embedded.apply(added, updated);
    for (const sourceId of new Set([...added, ...updated].map((i) => i.sourceId))) {
      await pg.write({ sourceId, added: added.filter((i) => i.sourceId === sourceId), updated: updated.filter((i) => i.sourceId === sourceId), titleWindowMs: 0, tags });
    }
  };
  for (const state of STATES) {
    embedded.setSourceState(state);
    await pg.setSourceState(state);
  }
  return { embedded, feeds, siteRenderer, pg, write };
}

describe('SharedRenderer (PostgreSQL) against SiteRenderer (embedded)', () => {
  it('renders and publishes the same bytes and ETags for the same items, then only the feeds a change touches', async () => {
    const { feeds, siteRenderer, pg, write } = await bothStores();
    const items = [
      ...Array.from({ length: 9 }, (_, i) => item(i + 1, 'world')),
      ...Array.from({ length: 6 }, (_, i) => item(i + 20, 'tech', i === 2 ? { alsoIn: ['world'] } : {})),
    ];
    await write(items);
    siteRenderer.render();
    const shared = new SharedRenderer({ config: () => CONFIG, store: pg, hubs: () => [] });
    const first = await shared.render();
    const paths = feeds.specs().map((s) => s.path);
    expect(paths).toEqual(['latest', 'tags/world', 'tags/新闻', 'tags/科技', 'tags/deepseek', 'sources/world', 'sources/tech', 'sources/down']);
    expect(first.changed.sort()).toEqual([...paths].sort());

    const follower = await RenderedFollower.open({ url: pg.pool.options.connectionString!, checkEveryMs: 3_600_000 });
    closers.push(() => follower.close());
    const compare = () => {
      for (const path of paths) {
        for (const format of ['atom', 'rss', 'json', 'html'] as const) {
          const want = feeds.get(path, format)!;
          const got = follower.get(`${path}.${format}`);
          expect(got, `${path}.${format}`).toBeDefined();
          expect(got!.body.toString(), `${path}.${format}`).toBe(want.body.toString());
          expect(got!.etag).toBe(want.etag);
          expect(got!.lastModified).toBe(want.lastModified);
          expect(got!.contentType).toBe(want.contentType);
        }
      }
    };
    compare();
    // the index and the OPML too: the same words, language and health on either store
    for (const name of ['index', 'opml'] as const) {
      expect(follower.get(name)?.body.toString(), name).toBe(siteRenderer.page(name)!.body.toString());
    }
    expect(follower.get('index')!.body.toString()).toContain('<html lang="zh-CN">');
    // page 1 of a feed with more items than fit links its last page, counted in the database
    expect(follower.get('latest.atom')!.body.toString()).toContain('?page=4');
    // the failing source's error item is in its own feed only
    expect(follower.get('sources/down.atom')!.body.toString()).toContain('HTTP 500');

    // Nothing changed: nothing is rendered or published.
    expect(await shared.render()).toEqual({ changed: [] });

    // One new item of tech, tagged by the rule: latest, tags/科技, tags/deepseek and sources/tech change; the rest not.
    const fresh = item(40, 'tech', { published: '2026-12-05T00:00:00.000Z', updated: '2026-12-05T00:00:00.000Z', title: plain('DeepSeek 发布') });
    await write([fresh]);
    const embeddedChanged = siteRenderer.render();
    // The renderer follows changes up to the oldest transaction still running in the cluster (pg_snapshot_xmin,
    // cluster-wide: other test files' transactions count too), so the change may take a pass or two to be seen.
    let second = await shared.render();
    for (let pass = 0; second.changed.length === 0 && pass < 100; pass++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      second = await shared.render();
    }
    expect(second.changed.sort()).toEqual([...embeddedChanged].sort());
    expect(second.changed.sort()).toEqual(['latest', 'sources/tech', 'tags/deepseek', 'tags/科技']);
    await until('the follower to read the new render', () => follower.revision >= second.revision!, 5_000);
    compare();
  });
});

/** Every feed of `feeds` (the embedded store's) against what `follower` holds: bytes, ETag, Last-Modified, type. */
function sameFeeds(feeds: FeedSet, follower: RenderedFollower): string[] {
  const paths = feeds.specs().map((s) => s.path);
  for (const path of paths) {
    for (const format of ['atom', 'rss', 'json', 'html'] as const) {
      const want = feeds.get(path, format)!;
      const got = follower.get(`${path}.${format}`);
      expect(got, `${path}.${format}`).toBeDefined();
      expect(got!.body.toString(), `${path}.${format}`).toBe(want.body.toString());
      expect(got!.etag, `${path}.${format}`).toBe(want.etag);
    }
  }
  return paths;
}

/** Renders until the renderer has seen the last commit (it reads up to the oldest transaction still running). */
async function renderSeeing(shared: SharedRenderer, changed: (result: Awaited<ReturnType<SharedRenderer['render']>>) => boolean) {
  let result = await shared.render();
  for (let pass = 0; !changed(result) && pass < 100; pass++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    result = await shared.render();
  }
  return result;
}

describe('a change of the sources\' tags or of the rules (hot reload) on the PostgreSQL store', () => {
  it('re-tags the stored items once, renders and publishes once, and the feeds are the embedded store\'s', async () => {
    let config = CONFIG;
    const { feeds, siteRenderer, pg, write } = await bothStores(() => config);
    await write([
      ...Array.from({ length: 9 }, (_, i) => item(i + 1, 'world')),
      ...Array.from({ length: 6 }, (_, i) => item(i + 20, 'tech', i === 2 ? { alsoIn: ['world'] } : {})),
    ]);
    siteRenderer.render();
    const shared = new SharedRenderer({ config: () => config, store: pg, hubs: () => [] });
    const first = await shared.render();
    // The first render of a database checks every stored item's tags once: the writers' were right.
    expect(first.retagged).toEqual({ checked: 15, retagged: 0 });
    const follower = await RenderedFollower.open({ url: pg.pool.options.connectionString!, checkEveryMs: 3_600_000 });
    closers.push(() => follower.close());
    expect(sameFeeds(feeds, follower)).toContain('tags/world');
    expect(await shared.render()).toEqual({ changed: [] });

    // world loses its tag "world", tech gains "ai", and a new rule tags every "今日新闻" item "markets".
    config = parseConfig(`title: 新闻聚合
language: zh-CN
baseUrl: http://tributary.test
defaults:
  limit: 4
rules:
  - tag: deepseek
    match: [DeepSeek]
  - tag: markets
    match: [今日新闻]
sources:
  - id: world
    url: https://world.example.com/rss
    tags: [新闻]
  - id: tech
    url: https://tech.example.com/atom
    tags: [科技, ai]
  - id: down
    url: https://down.example.com/rss
    tags: [新闻]
    errorItems: true
`, 'sources.yaml');
    siteRenderer.render();
    const revision = follower.revision;
    const second = await shared.render();
    // Every item lost "world" or gained "ai" and/or "markets"; one render, one publication.
    expect(second.retagged).toEqual({ checked: 15, retagged: 15 });
    expect(second.revision).toBe(revision + 1);
    await until('the follower to read the new render', () => follower.revision >= second.revision!, 5_000);
    const paths = sameFeeds(feeds, follower);
    expect(paths).toEqual(expect.arrayContaining(['tags/ai', 'tags/markets']));
    expect(paths).not.toContain('tags/world');
    expect(follower.get('tags/world.atom')).toBeUndefined();
    expect(follower.get('tags/ai.json')!.body.toString()).toContain('tech.example.com/25');
    const { rows } = await pg.pool.query<{ tag: string; n: string }>(
      'SELECT t.tag, count(*) AS n FROM tributary_items, unnest(tags) AS t(tag) GROUP BY t.tag ORDER BY t.tag');
    expect(Object.fromEntries(rows.map((r) => [r.tag, Number(r.n)]))).toEqual({ ai: 6, deepseek: 4, markets: 11, 新闻: 10, 科技: 6 });
    // Nothing changed since: no item is looked at again.
    expect(await shared.render()).toEqual({ changed: [] });

    // An instance still on the first config writes an item: its tags are corrected when the renderer follows it.
    const late = item(41, 'tech', { published: '2026-12-05T00:00:00.000Z', updated: '2026-12-05T00:00:00.000Z', title: plain('今日新闻 41') });
    await write([late], [], CONFIG);
    siteRenderer.render();
    const third = await renderSeeing(shared, (result) => result.changed.length > 0);
    expect(third.changed).toEqual(expect.arrayContaining(['tags/ai', 'tags/markets']));
    await until('the follower to read the new render', () => follower.revision >= third.revision!, 5_000);
    sameFeeds(feeds, follower);
    const { rows: [row] } = await pg.pool.query<{ tags: string[] }>('SELECT tags FROM tributary_items WHERE id = $1', [late.id]);
    expect(row!.tags).toEqual(['科技', 'ai', 'markets']);

    // A renderer on the first config takes a turn (instances out of step during a rollout): it re-tags for its own
    // config and publishes its feeds. When this one takes the lock again (SharedApp restarts its renderer then), it
    // re-tags for its config and publishes what differs, and the feeds are the embedded store's again.
    const other = new SharedRenderer({ config: () => CONFIG, store: pg, hubs: () => [] });
    const theirs = await other.render();
    expect(theirs.retagged).toEqual({ checked: 16, retagged: 16 });
    await until('the follower to read the other render', () => follower.revision >= theirs.revision!, 5_000);
    expect(follower.get('tags/world.atom')).toBeDefined();
    // Starting afresh, it removed the published feeds its config does not have.
    expect(follower.get('tags/ai.atom')).toBeUndefined();
    shared.restart();
    const again = await shared.render();
    expect(again.retagged).toEqual({ checked: 16, retagged: 16 });
    expect(again.published).toEqual(expect.arrayContaining(['latest', 'tags/新闻', 'tags/ai', 'tags/markets']));
    await until('the follower to read the render', () => follower.revision >= again.revision!, 5_000);
    sameFeeds(feeds, follower);
    expect(follower.get('tags/world.atom')).toBeUndefined();
  });
});
