// Every feed's first page read from a real PostgreSQL (tests/setup/postgres.ts) must be exactly the page the
// embedded store's feed lists give for the same items (render/feed-specs.ts feedLists): same items, same order,
// ties on the date broken by id, tags from sources, from the sources an item is also in, and from rules. And it
// must follow the store: new, updated and pruned items, and a transaction that commits after a later one.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Item, PlainText } from '../../src/model.ts';
import { allTags, feedHeads, feedLists, itemTags, listOf, sourceTagMap, type SiteInfo } from '../../src/render/feed-specs.ts';
import { FeedPages, type PageHead } from '../../src/store/pg/feed-pages.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { retentionPolicy } from '../../src/store/retention.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { sampleItem } from '../helpers/sample-items.ts';

const LIMIT = 7;
const text = (s: string) => s as PlainText;
const site: SiteInfo = {
  title: text('Wire'), baseUrl: 'http://feeds.example.org', limit: LIMIT,
  sources: [
    { id: 'a', url: 'https://a.example.com/rss', tags: ['科技', 'ai'], enabled: true },
    { id: 'b', url: 'https://b.example.com/rss', tags: ['finance'], enabled: true },
    { id: 'c', url: 'https://c.example.com/rss', tags: ['科技'], enabled: true },
    { id: 'd', url: 'https://d.example.com/rss', tags: [], enabled: true },
  ],
  rules: [{ tag: 'deepseek' }],
};
const ruleTags = (item: Item) => (item.title.includes('DeepSeek') ? ['deepseek'] : []);
const tagsOf = sourceTagMap(site);
const tags = (item: Item) => itemTags(item, tagsOf, ruleTags);
const heads: PageHead[] = feedHeads(site, {}).map(({ path, kind, name }) => ({ path, kind, name }));

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A deterministic spread of items: shared dates (ties), stories also carried by other sources, rule-tagged titles. */
function makeItem(n: number): Item {
  const sourceId = site.sources[n % 4]!.id;
  const day = new Date(Date.UTC(2026, 10, 1) + (n % 23) * 3_600_000).toISOString();
  return sampleItem(n, {
    id: `tag:feeds.example.org,2026:${sourceId}/${(n * 7919) % 1000}-${n}`,
    sourceId,
    key: `k${n}`,
    title: text(n % 5 === 0 ? `DeepSeek 发布新模型 ${n}` : `新闻 ${n}`),
    published: day, updated: day, firstSeen: day,
    alsoIn: n % 6 === 0 ? [site.sources[(n + 1) % 4]!.id] : [],
  });
}

async function setup(label: string) {
  const store = await PgStore.open({ url: await freshDatabase(label), pool: 3 });
  closers.push(() => store.close());
  return store;
}

async function writeAll(store: PgStore, items: Item[]) {
  for (const source of site.sources) {
    const added = items.filter((i) => i.sourceId === source.id);
    if (added.length) await store.write({ sourceId: source.id, added, updated: [], titleWindowMs: 0, tags });
  }
}

async function storedItems(store: PgStore): Promise<Item[]> {
  return (await store.pool.query<{ item: Item }>('SELECT item FROM tributary_items')).rows.map((r) => r.item);
}

/** Each feed's expected page, by the embedded store's code, as ids. */
function expected(items: Item[]): Record<string, string[]> {
  const lists = feedLists(items, site, ruleTags);
  return Object.fromEntries(heads.map((h) => [h.path, listOf(lists, h).slice(0, LIMIT).map((i) => i.id)]));
}

function actual(pages: FeedPages): Record<string, string[]> {
  return Object.fromEntries(heads.map((h) => [h.path, pages.page(h.path)!.items.map((i) => i.id)]));
}

function expectedCounts(items: Item[]): Record<string, number> {
  const lists = feedLists(items, site, ruleTags);
  return Object.fromEntries(heads.map((h) => [h.path, listOf(lists, h).length]));
}

function actualCounts(pages: FeedPages): Record<string, number> {
  return Object.fromEntries(heads.map((h) => [h.path, pages.page(h.path)!.count]));
}

describe('feed pages from PostgreSQL', () => {
  it('are the pages of the embedded feed lists for the same items, and follow new, updated and pruned items', async () => {
    const store = await setup('feed_pages');
    await writeAll(store, Array.from({ length: 160 }, (_, i) => makeItem(i + 1)));
    const pages = new FeedPages({ store, tags });
    expect((await pages.load(heads, LIMIT)).length).toBe(heads.length);
    expect(allTags(site)).toEqual(['科技', 'ai', 'finance', 'deepseek']);
    const before = expected(await storedItems(store));
    expect(before['tags/deepseek']!.length).toBe(LIMIT);
    expect(before['sources/d']!.length).toBe(LIMIT);
    expect(actual(pages)).toEqual(before);
    expect(actualCounts(pages)).toEqual(expectedCounts(await storedItems(store)));
    expect(pages.page('latest')!.count).toBe(160);

    // Nothing changed: nothing to read again.
    expect(await pages.follow()).toEqual([]);

    // Newer items of one source, an update that moves an item of another to the top, and retention pruning a third.
    await writeAll(store, [200, 204, 208].map((n) => ({ ...makeItem(n), sourceId: 'a', published: '2026-12-01T00:00:00.000Z', updated: '2026-12-01T00:00:00.000Z' })));
    const [bItem] = (await storedItems(store)).filter((i) => i.sourceId === 'b' && i.alsoIn.length === 0);
    const moved = { ...bItem!, title: text('DeepSeek 更新'), published: '2026-12-02T00:00:00.000Z', updated: '2026-12-02T00:00:00.000Z', hash: 'changed' };
    await store.write({ sourceId: 'b', added: [], updated: [moved], titleWindowMs: 0, tags });
    await store.prune(retentionPolicy({ maxItemsPerSource: 1000 }, [{ id: 'c', retention: { maxItemsPerSource: 3, minItemsPerSource: 0 } }], false), new Date('2026-12-05T00:00:00Z'));

    const touched = await pages.follow();
    expect(touched).toEqual(expect.arrayContaining(['latest', 'tags/科技', 'tags/ai', 'tags/deepseek', 'sources/a', 'sources/b', 'sources/c']));
    const after = expected(await storedItems(store));
    expect(actual(pages)).toEqual(after);
    expect(actualCounts(pages)).toEqual(expectedCounts(await storedItems(store)));
    expect(after.latest![0]).toBe(moved.id);
    expect(after['tags/deepseek']![0]).toBe(moved.id);
  });

  it('the journal is read a page at a time, every change once and in order', async () => {
    const store = await setup('feed_pages_journal');
    const since = await store.watermark();
    const items = Array.from({ length: 9 }, (_, n) => makeItem(n));
    await writeAll(store, items);
    const pages: string[][] = [];
    const watermark = await store.changesAfter(since, (changes) => void pages.push(changes.map((c) => c.after!.id)), 4);
    expect(pages.map((p) => p.length)).toEqual([4, 4, 1]);
    // In the order they were written: source by source, as writeAll writes them.
    expect(pages.flat()).toEqual(site.sources.flatMap((source) => items.filter((i) => i.sourceId === source.id).map((i) => i.id)));
    // Followed from the watermark returned: nothing again.
    const again: unknown[] = [];
    await store.changesAfter(watermark, (changes) => void again.push(...changes), 4);
    expect(again).toEqual([]);
  });

  it('a transaction that commits after a later one is followed, not skipped', async () => {
    const store = await setup('feed_pages_late');
    await writeAll(store, [makeItem(1), makeItem(2)]);
    const pages = new FeedPages({ store, tags });
    await pages.load(heads, LIMIT);

    // Transaction A takes its journal sequence number first and commits last.
    const late = { ...makeItem(3), published: '2026-12-03T00:00:00.000Z' };
    const a = await store.pool.connect();
    try {
      await a.query('BEGIN');
      await a.query(
        `INSERT INTO tributary_items (id, source_id, key, published, first_seen, updated, item, tags) VALUES ($1, $2, $3, $4, $4, $4, $5, $6)`,
        [late.id, late.sourceId, late.key, late.published, late, tags(late)],
      );
      await a.query('INSERT INTO tributary_changes (item_id, before, after) VALUES ($1, NULL, $2)', [late.id, late]);
      // Transaction B: a later sequence number, committed at once.
      const early = { ...makeItem(4), published: '2026-12-04T00:00:00.000Z' };
      await store.write({ sourceId: early.sourceId, added: [early], updated: [], titleWindowMs: 0, tags });
      // While A runs, B's change waits too: following past it would be following past A's lower number.
      expect(await pages.follow()).toEqual([]);
      expect(pages.page('latest')!.items.map((i) => i.id)).not.toContain(early.id);
      await a.query('COMMIT');
      await pages.follow();
      expect(pages.page('latest')!.items.map((i) => i.id).slice(0, 2)).toEqual([early.id, late.id]);
      expect(actual(pages)).toEqual(expected(await storedItems(store)));
    } finally {
      a.release();
    }
  });

  it('a long transaction in another database of the same server does not hold the pages back', async () => {
    const store = await setup('feed_pages_other_db');
    await writeAll(store, [makeItem(1)]);
    const pages = new FeedPages({ store, tags });
    await pages.load(heads, LIMIT);
    // A transaction with an id of its own, held open in another database on the same cluster.
    const other = new pg.Client(await freshDatabase('feed_pages_elsewhere'));
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()');
      const fresh = { ...makeItem(5), published: '2026-12-05T00:00:00.000Z' };
      await store.write({ sourceId: fresh.sourceId, added: [fresh], updated: [], titleWindowMs: 0, tags });
      expect(await pages.follow()).toContain('latest');
      expect(pages.page('latest')!.items[0]!.id).toBe(fresh.id);
      // One held open in this database still holds the watermark back (the case above, from outside the store).
      const own = await store.pool.connect();
      try {
        await own.query('BEGIN');
        await own.query('SELECT pg_current_xact_id()');
        const later = { ...makeItem(9), published: '2026-12-06T00:00:00.000Z' };
        await store.write({ sourceId: later.sourceId, added: [later], updated: [], titleWindowMs: 0, tags });
        expect(await pages.follow()).toEqual([]);
        await own.query('COMMIT');
        await pages.follow();
        expect(pages.page('latest')!.items[0]!.id).toBe(later.id);
      } finally {
        own.release();
      }
    } finally {
      await other.query('ROLLBACK');
      await other.end();
    }
  });
});
