// One feed's items beyond its first page, read from PostgreSQL on a reader's request: an older page (?page, ?limit),
// the items updated since a date (?since), and the candidates of a filtered view (?filter, ?filterout), read in
// chunks so that a request holds one chunk in memory, not the feed. Every read is in the renderer's order (newest
// published first, then id in code-unit order: feed-pages.ts), so a view is cut from the same list the embedded
// store cuts it from.
import type pg from 'pg';
import type { Item } from '../../model.ts';
import { FEED_ROWS, type Page, type PageHead } from './feed-pages.ts';

/** The rows of one feed, updated at or after `since` when given: a WHERE clause over `i`, its head as $1, $2, $3. */
const VIEW_ROWS = `(${FEED_ROWS}) AND ($3::timestamptz IS NULL OR i.updated >= $3::timestamptz)`;
const HEAD = `(SELECT $1::text AS kind, $2::text AS name) h, tributary_items i`;

export interface RowsQuery {
  /** only items updated at or after this instant (ISO 8601, UTC) */
  since?: string;
}

function headArgs(head: PageHead, query: RowsQuery): unknown[] {
  return [head.kind, head.name, query.since ?? null];
}

/** Items `offset` to `offset + limit` of one feed (updated since `query.since`), newest first, and how many it has. */
export async function readFeedPage(pool: pg.Pool, head: PageHead, offset: number, limit: number, query: RowsQuery = {}): Promise<Page> {
  const args = headArgs(head, query);
  const [rows, count] = await Promise.all([
    pool.query<{ item: Item }>(
      `SELECT i.item FROM ${HEAD} WHERE ${VIEW_ROWS} ORDER BY i.published DESC, i.id COLLATE "C" LIMIT $4 OFFSET $5`,
      [...args, limit, offset]),
    countRows(pool, head, query),
  ]);
  return { items: rows.rows.map((r) => r.item), count };
}

/** How many items one feed has (updated since `query.since`), counting no further than `max` when given. */
export async function countRows(pool: pg.Pool, head: PageHead, query: RowsQuery, max?: number): Promise<number> {
  const { rows } = max === undefined
    ? await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${HEAD} WHERE ${VIEW_ROWS}`, headArgs(head, query))
    : await pool.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${HEAD} WHERE ${VIEW_ROWS} LIMIT $4) c`, [...headArgs(head, query), max]);
  return Number(rows[0]!.n);
}

/**
 * How many of the feed's items (updated since `query.since`) come before `item` in the feed's order: where an
 * item that is not stored (a failing source's error item) falls among them.
 */
export async function countRowsBefore(pool: pg.Pool, head: PageHead, query: RowsQuery, item: Item): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${HEAD} WHERE ${VIEW_ROWS}
        AND (i.published > $4::timestamptz OR (i.published = $4::timestamptz AND i.id COLLATE "C" < $5 COLLATE "C"))`,
    [...headArgs(head, query), item.published, item.id]);
  return Number(rows[0]!.n);
}

/** The newest `updated` of the feed's items, as stored (what an empty view is dated by), or undefined for none. */
export async function newestUpdatedOf(pool: pg.Pool, head: PageHead): Promise<string | undefined> {
  const { rows } = await pool.query<{ updated: string }>(
    `SELECT i.item->>'updated' AS updated FROM ${HEAD} WHERE ${VIEW_ROWS} ORDER BY i.updated DESC LIMIT 1`, headArgs(head, {}));
  return rows[0]?.updated;
}

/**
 * The newest `max` items of one feed (updated since `query.since`), in the feed's order, `chunk` at a time: each
 * read starts after the last row of the one before (by published and id, an indexed range, not an OFFSET that
 * reads every skipped row again).
 */
export async function* scanRows(pool: pg.Pool, head: PageHead, query: RowsQuery, max: number, chunk: number): AsyncGenerator<Item[]> {
  let after: { published: string; id: string } | undefined;
  for (let read = 0; read < max;) {
    const size = Math.min(chunk, max - read);
    const args = [...headArgs(head, query), size, after?.published ?? null, after?.id ?? null];
    const { rows } = await pool.query<{ item: Item; published: string; id: string }>(
      // published as text round-trips the stored instant exactly (microseconds included) into the next read.
      `SELECT i.item, i.published::text AS published, i.id FROM ${HEAD} WHERE ${VIEW_ROWS}
          AND ($5::timestamptz IS NULL OR i.published < $5::timestamptz OR (i.published = $5::timestamptz AND i.id COLLATE "C" > $6 COLLATE "C"))
        ORDER BY i.published DESC, i.id COLLATE "C" LIMIT $4`, args);
    if (rows.length === 0) return;
    read += rows.length;
    const last = rows[rows.length - 1]!;
    after = { published: last.published, id: last.id };
    yield rows.map((r) => r.item);
    if (rows.length < size) return;
  }
}
