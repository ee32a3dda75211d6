// The first page of every feed, read from PostgreSQL and followed as the items change: what a renderer on the
// shared store renders from. Memory grows with feeds × items per page, never with the stored items (the
// embedded store keeps every item in memory; with a million stored this holds a thousand feeds × 50).
//
// A feed's page is the newest `limit` items in the embedded store's order (newest published first, then id in
// code-unit order: store/retention.ts newestFirst), of:
//   latest          every item
//   tags/<tag>      items whose tags (kept with each row by the writer, see store-api.ts WriteBatch.tags) hold it
//   sources/<id>    items of the source, and items of other sources that it also carries (alsoIn)
// Following the store: the changes committed since the last look (PgStore.changesAfter) name the feeds they touch,
// and those pages are read again, all in one query. Reading a page again costs one indexed LIMIT query; keeping
// pages up to date by hand would need an older item whenever one leaves a full page, which is a query anyway.
import type pg from 'pg';
import { boundGarbage } from '../../memory/garbage.ts';
import type { Item } from '../../model.ts';
import type { PgStore } from './pg-store.ts';
import { fixTags } from './retag.ts';

export interface PageHead {
  /** latest, tags/<tag>, sources/<id> */
  path: string;
  kind: 'latest' | 'tag' | 'source';
  name: string;
}

/**
 * Feeds read in one statement: enough to cost few round trips, few enough to keep each statement short (well under
 * the store's statement timeout). A tag's page sorts all of the tag's items (20,000 of a million, with 50 tags), a
 * source's reads its 50 newest by index: ten tags a statement, two hundred sources.
 */
const HEADS_PER_QUERY: Record<PageHead['kind'], number> = { latest: 1, tag: 10, source: 200 };

/**
 * Which rows a feed of this kind holds, for a head named h.name. One predicate per kind, never one predicate for
 * every kind: with `h.kind = 'latest' OR …` the planner cannot use an index for any of them, and counting a tag's or
 * a source's items scanned the whole table (at 1M items, seconds per feed, over a thousand feeds at start).
 */
export const FEED_ROWS: Record<PageHead['kind'], string> = {
  latest: 'true',
  tag: 'i.tags @> ARRAY[h.name]',
  source: "(i.source_id = h.name OR i.item->'alsoIn' ? h.name)",
};

export interface Page {
  /** the newest `limit` items, newest first */
  items: Item[];
  /** all the items of the feed */
  count: number;
}

/**
 * The newest $3 rows of the feed named h.name. A source's own items and the items it is also in are read apart,
 * each by its index, and merged: read as one OR, the planner walked the whole date index filtering for the source,
 * some 50 × (number of sources) rows for each source's page. The items a source is also in are few: all of them are
 * read by the alsoIn index and sorted (OFFSET 0 keeps the planner from walking the date index for them instead,
 * through every row when there are none). An item never has its own source in alsoIn.
 */
const NEWEST_ROWS: Record<PageHead['kind'], string> = {
  latest: `SELECT i.id, i.item, i.published FROM tributary_items i ORDER BY i.published DESC, i.id COLLATE "C" LIMIT $3`,
  tag: `SELECT i.id, i.item, i.published FROM tributary_items i WHERE ${FEED_ROWS.tag} ORDER BY i.published DESC, i.id COLLATE "C" LIMIT $3`,
  source: `SELECT u.id, u.item, u.published FROM (
             (SELECT i.id, i.item, i.published FROM tributary_items i WHERE i.source_id = h.name
               ORDER BY i.published DESC, i.id COLLATE "C" LIMIT $3)
             UNION ALL
             (SELECT a.id, a.item, a.published FROM (
                SELECT i.id, i.item, i.published FROM tributary_items i WHERE i.item->'alsoIn' ? h.name OFFSET 0
              ) a ORDER BY a.published DESC, a.id COLLATE "C" LIMIT $3)
           ) u ORDER BY u.published DESC, u.id COLLATE "C" LIMIT $3`,
};

/** The first `limit` items of each feed, newest first, and how many it has: two queries per kind and 200 feeds. */
export async function readPages(pool: pg.Pool, heads: readonly PageHead[], limit: number): Promise<Map<string, Page>> {
  const pages = new Map<string, Page>(heads.map((h) => [h.path, { items: [], count: 0 }]));
  // One object per item, shared by every page that shows it (latest, its tags, its sources).
  const shared = new Map<string, Item>();
  for (const kind of Object.keys(FEED_ROWS) as PageHead['kind'][]) {
    const ofKind = heads.filter((h) => h.kind === kind);
    for (let i = 0; i < ofKind.length; i += HEADS_PER_QUERY[kind]) {
      const part = ofKind.slice(i, i + HEADS_PER_QUERY[kind]);
      const { rows } = await pool.query<{ path: string; id: string; item: Item }>(
        `SELECT h.path, p.id, p.item
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS h(path, name, n)
           CROSS JOIN LATERAL (${NEWEST_ROWS[kind]}) p
          ORDER BY h.n, p.published DESC, p.id COLLATE "C"`,
        [part.map((h) => h.path), part.map((h) => h.name), limit],
      );
      for (const row of rows) {
        let item = shared.get(row.id);
        if (!item) shared.set(row.id, (item = row.item));
        pages.get(row.path)!.items.push(item);
      }
      const counts = await pool.query<{ path: string; n: string }>(
        `SELECT h.path, c.n FROM unnest($1::text[], $2::text[]) AS h(path, name)
           CROSS JOIN LATERAL (SELECT count(*) AS n FROM tributary_items i WHERE ${FEED_ROWS[kind]}) c`,
        [part.map((h) => h.path), part.map((h) => h.name)],
      );
      for (const row of counts.rows) pages.get(row.path)!.count = Number(row.n);
    }
  }
  return pages;
}

/** The paths of the feeds an item is (or was) on, given its tags. */
export function feedsOf(item: Item, tags: readonly string[]): string[] {
  return ['latest', ...tags.map((t) => `tags/${t}`), `sources/${item.sourceId}`, ...item.alsoIn.map((id) => `sources/${id}`)];
}

export interface FeedPagesOptions {
  store: PgStore;
  /** the tags an item is shown under with the config in force (as the writers compute them) */
  tags: (item: Item) => readonly string[];
}

/**
 * Which feeds the changes committed since the last look touch, holding no page: what a renderer that reads each
 * page only when it renders it follows the store with (shared-render.ts).
 */
export class FeedChanges {
  readonly #o: FeedPagesOptions;
  #heads = new Map<string, PageHead>();
  #watermark = '0';

  constructor(options: FeedPagesOptions) {
    this.#o = options;
  }

  get watermark(): string {
    return this.#watermark;
  }

  /** the head of a feed followed (undefined for a feed not followed) */
  head(path: string): PageHead | undefined {
    return this.#heads.get(path);
  }

  /**
   * Follows these feeds from now on: the changes committed from this moment are named by follow(). Taken before the
   * pages are read, so that a change committed while they are read is named again, never lost.
   */
  async start(heads: readonly PageHead[]): Promise<void> {
    this.#watermark = await this.#o.store.watermark();
    this.#heads = new Map(heads.map((h) => [h.path, h]));
  }

  /**
   * The paths of the feeds the changes committed since the last look touch (their tags fixed first). With `read`,
   * the changes count as seen once it resolves: a failing read names them again at the next follow().
   */
  async follow(read?: (paths: string[]) => Promise<void>): Promise<string[]> {
    const paths = new Set<string>();
    const watermark = await this.#o.store.changesAfter(this.#watermark, async (changes) => {
      // Tags first: an item written by an instance still on the previous config must be on the pages it is read for.
      await fixTags(this.#o.store.pool, changes.flatMap((c) => (c.after ? [c.after] : [])), this.#o.tags);
      for (const change of changes) {
        for (const item of [change.before, change.after]) {
          if (!item) continue;
          for (const path of feedsOf(item, this.#o.tags(item))) if (this.#heads.has(path)) paths.add(path);
        }
      }
      // The page's items are garbage now: only the paths they name are kept.
      boundGarbage();
    });
    await read?.([...paths]);
    this.#watermark = watermark;
    return [...paths];
  }
}

/** Every feed's first page, in memory, following the store (FeedChanges, with the pages it names read again). */
export class FeedPages {
  readonly #o: FeedPagesOptions;
  readonly #changes: FeedChanges;
  #limit = 0;
  #pages = new Map<string, Page>();

  constructor(options: FeedPagesOptions) {
    this.#o = options;
    this.#changes = new FeedChanges(options);
  }

  /** the first page of a feed and its item count (undefined for a feed not loaded) */
  page(path: string): Page | undefined {
    return this.#pages.get(path);
  }

  get watermark(): string {
    return this.#changes.watermark;
  }

  /**
   * Reads every page of these feeds from scratch (at start, and when the feeds, the page size or the tagging
   * changed); returns every path. Changes made from now on are followed by follow().
   */
  async load(heads: readonly PageHead[], limit: number): Promise<string[]> {
    await this.#changes.start(heads);
    this.#pages = await readPages(this.#o.store.pool, heads, limit);
    this.#limit = limit;
    return heads.map((h) => h.path);
  }

  /** Reads again the pages the changes committed since the last look touch; returns their paths. */
  async follow(): Promise<string[]> {
    return this.#changes.follow(async (touched) => {
      if (touched.length === 0) return;
      const pages = await readPages(this.#o.store.pool, touched.map((path) => this.#changes.head(path)!), this.#limit);
      for (const [path, page] of pages) this.#pages.set(path, page);
    });
  }
}
