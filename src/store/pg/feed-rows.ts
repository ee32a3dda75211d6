// One feed's items beyond its first page, read from PostgreSQL on a reader's request: an older page (?page, ?limit),
// the items updated since a date (?since), a tag feed composed in the URL (tags/a+b,c), and the candidates of a
// filtered view (?filter, ?filterout), read in chunks so that a request holds one chunk in memory, not the feed.
// Every read is in the renderer's order (newest published first, then id in code-unit order: feed-pages.ts), so a
// view is cut from the same list the embedded store cuts it from.
import type pg from 'pg';
import type { Item } from '../../model.ts';
import { FEED_ROWS, type Page, type PageHead } from './feed-pages.ts';

/**
 * The rows of one feed of this kind, updated at or after `since` when given: a WHERE clause over `i`, its head as $1,
 * $2, $3. One predicate per kind (feed-pages.ts FEED_ROWS), so that the planner can use each kind's index.
 */
const viewRowsOf = (kind: PageHead['kind']) => `(${FEED_ROWS[kind]}) AND ($3::timestamptz IS NULL OR i.updated >= $3::timestamptz)`;
const HEAD = `(SELECT $1::text AS kind, $2::text AS name) h, tributary_items i`;

export interface RowsQuery {
  /** only items updated at or after this instant (ISO 8601, UTC) */
  since?: string;
  /**
   * A tag feed composed in the URL (render/tag-query.ts): of every item, those whose tags hold all the tags of one
   * of these sets. One `tags @>` test per set, OR'ed: each is a lookup in the tags column's GIN index.
   */
  anyOf?: readonly (readonly string[])[];
}

/**
 * The WHERE clause and arguments of a read of the rows of `head` (a composed feed's sets in `query` instead), with
 * `own` as the read's own arguments from $4 on; the sets of a composed feed come after them.
 */
function viewRows(head: PageHead, query: RowsQuery, own: readonly unknown[] = []): { where: string; args: unknown[] } {
  const sets = query.anyOf ?? [];
  // A composed feed is the latest feed's items that hold one of the sets.
  const kind = sets.length > 0 ? 'latest' : head.kind;
  const args = [kind, head.name, query.since ?? null, ...own, ...sets.map((set) => [...set])];
  if (sets.length === 0) return { where: viewRowsOf(kind), args };
  const first = 4 + own.length;
  const tests = sets.map((_, n) => `i.tags @> $${first + n}::text[]`);
  return { where: `${viewRowsOf(kind)} AND (${tests.join(' OR ')})`, args };
}

/** Items `offset` to `offset + limit` of one feed (updated since `query.since`), newest first, and how many it has. */
export async function readFeedPage(pool: pg.Pool, head: PageHead, offset: number, limit: number, query: RowsQuery = {}): Promise<Page> {
  const { where, args } = viewRows(head, query, [limit, offset]);
  const [rows, count] = await Promise.all([
    pool.query<{ item: Item }>(`SELECT i.item FROM ${HEAD} WHERE ${where} ORDER BY i.published DESC, i.id COLLATE "C" LIMIT $4 OFFSET $5`, args),
    countRows(pool, head, query),
  ]);
  return { items: rows.rows.map((r) => r.item), count };
}

/** How many items one feed has (updated since `query.since`), counting no further than `max` when given. */
export async function countRows(pool: pg.Pool, head: PageHead, query: RowsQuery, max?: number): Promise<number> {
  const { where, args } = viewRows(head, query, max === undefined ? [] : [max]);
  const { rows } = max === undefined
    ? await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${HEAD} WHERE ${where}`, args)
    : await pool.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${HEAD} WHERE ${where} LIMIT $4) c`, args);
  return Number(rows[0]!.n);
}

/**
 * How many of the feed's items (updated since `query.since`) come before `item` in the feed's order: where an
 * item that is not stored (a failing source's error item) falls among them.
 */
export async function countRowsBefore(pool: pg.Pool, head: PageHead, query: RowsQuery, item: Item): Promise<number> {
  const { where, args } = viewRows(head, query, [item.published, item.id]);
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${HEAD} WHERE ${where}
        AND (i.published > $4::timestamptz OR (i.published = $4::timestamptz AND i.id COLLATE "C" < $5 COLLATE "C"))`, args);
  return Number(rows[0]!.n);
}

/**
 * The newest `updated` of the feed's items (of a composed feed's, with `anyOf`), as stored (what an empty view is
 * dated by), or undefined for none.
 */
export async function newestUpdatedOf(pool: pg.Pool, head: PageHead, anyOf?: RowsQuery['anyOf']): Promise<string | undefined> {
  const { where, args } = viewRows(head, anyOf ? { anyOf } : {});
  const { rows } = await pool.query<{ updated: string }>(
    `SELECT i.item->>'updated' AS updated FROM ${HEAD} WHERE ${where} ORDER BY i.updated DESC LIMIT 1`, args);
  return rows[0]?.updated;
}

/** What a filter reads of an item (its title, and the opening of its summary, else of its content), and its place. */
export type SearchedItem = Pick<Item, 'id' | 'published' | 'title' | 'summary' | 'content'>;

/**
 * The newest `max` items of one feed (updated since `query.since`), in the feed's order, `chunk` at a time, as
 * much of each as a filter reads: the first `htmlLength` characters of its summary (or of its content when it has
 * no summary), not the whole item (a full-text source's items are tens of kilobytes). Each read starts after the
 * last row of the one before (by published and id, an indexed range, not an OFFSET that reads every skipped row again).
 */
export async function* scanSearched(pool: pg.Pool, head: PageHead, query: RowsQuery, max: number, chunk: number, htmlLength: number): AsyncGenerator<SearchedItem[]> {
  let after: { at: string; id: string } | undefined;
  for (let read = 0; read < max;) {
    const size = Math.min(chunk, max - read);
    const { where, args } = viewRows(head, query, [size, after?.at ?? null, after?.id ?? null, htmlLength]);
    const { rows } = await pool.query<{ id: string; at: string; published: string; title: string; summary: string | null; content: string | null }>(
      // published as text round-trips the stored instant exactly (microseconds included) into the next read.
      `SELECT i.id, i.published::text AS at, i.item->>'published' AS published, i.item->>'title' AS title,
              left(i.item->>'summary', $7) AS summary,
              CASE WHEN i.item->>'summary' IS NULL THEN left(i.item->>'content', $7) END AS content
         FROM ${HEAD} WHERE ${where}
          AND ($5::timestamptz IS NULL OR i.published < $5::timestamptz OR (i.published = $5::timestamptz AND i.id COLLATE "C" > $6 COLLATE "C"))
        ORDER BY i.published DESC, i.id COLLATE "C" LIMIT $4`, args);
    if (rows.length === 0) return;
    read += rows.length;
    const last = rows[rows.length - 1]!;
    after = { at: last.at, id: last.id };
    yield rows.map((r) => ({ id: r.id, published: r.published, title: r.title as Item['title'],
      ...(r.summary !== null ? { summary: r.summary } : {}), ...(r.content !== null ? { content: r.content } : {}) }));
    if (rows.length < size) return;
  }
}

/** The stored items of these ids, in the order given; an id no longer stored (pruned meanwhile) is left out. */
export async function readItems(pool: pg.Pool, ids: readonly string[]): Promise<Item[]> {
  if (ids.length === 0) return [];
  const { rows } = await pool.query<{ id: string; item: Item }>('SELECT id, item FROM tributary_items WHERE id = ANY($1::text[])', [ids]);
  const byId = new Map(rows.map((r) => [r.id, r.item]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}
