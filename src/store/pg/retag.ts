// The tags kept with each row (tributary_items.tags, what a tag feed's query reads: feed-pages.ts) follow the config
// in force, as the embedded store's tags do (it computes them at every render). The writers store an item with the
// tags their config gives it; after a change of the sources' tags or of the rules, the renderer computes every
// stored item's tags again (retagItems), once per tagging: what the stored tags were computed from is kept in
// tributary_settings under 'tagging'. And since a writer may still run the previous config for a moment, the
// renderer also checks the tags of every item it sees written (fixTags), before it reads the feeds they touch.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import type { Item } from '../../model.ts';

const TAGGING = 'tagging';
/** rows read and written back per statement while re-tagging every item */
const RETAG_BATCH = 500;
/** time computing tags may hold the event loop before it lets requests in */
const SLICE_MS = 5;

/** u.tags (a JSON array) as text[], in its order */
const TAGS_OF_U = 'ARRAY(SELECT t FROM jsonb_array_elements_text(u.tags) WITH ORDINALITY AS e(t, n) ORDER BY n)';

export type ItemTagsOf = (item: Item) => readonly string[];

/** What the stored tags were computed from (a key the renderer makes of the sources' tags and the rules), if known. */
export async function storedTagging(pool: pg.Pool): Promise<string | undefined> {
  const { rows } = await pool.query<{ value: string }>('SELECT value FROM tributary_settings WHERE name = $1', [TAGGING]);
  return rows[0]?.value;
}

export interface RetagReport {
  /** items whose tags were computed */
  checked: number;
  /** items whose stored tags changed */
  retagged: number;
}

/**
 * Computes the tags of every stored item with `tagsOf` and writes those that differ, `RETAG_BATCH` rows at a time in
 * id order (memory holds one batch), then records `tagging` as what the stored tags are computed from. A row a writer
 * changed between the read and the write keeps the writer's tags (its row version no longer matches), and fixTags
 * looks at it when the renderer follows that change. `endBatch` runs after each batch (a rule tagger's cache pass).
 */
export async function retagItems(pool: pg.Pool, tagsOf: ItemTagsOf, tagging: string, endBatch?: () => void): Promise<RetagReport> {
  const report: RetagReport = { checked: 0, retagged: 0 };
  let after: string | null = null;
  for (;;) {
    const { rows }: { rows: { id: string; item: Item; tags: string[]; version: string }[] } = await pool.query(
      `SELECT id, item, tags, xmin::text AS version FROM tributary_items WHERE $1::text IS NULL OR id > $1 ORDER BY id LIMIT $2`,
      [after, RETAG_BATCH]);
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.id;
    const changed: { id: string; version: string; tags: readonly string[] }[] = [];
    let sliceStart = performance.now();
    for (const row of rows) {
      if (performance.now() - sliceStart > SLICE_MS) {
        await nextTurn();
        sliceStart = performance.now();
      }
      const tags = tagsOf(row.item);
      if (!sameTags(tags, row.tags)) changed.push({ id: row.id, version: row.version, tags });
    }
    endBatch?.();
    report.checked += rows.length;
    if (changed.length > 0) {
      const result = await pool.query(
        `UPDATE tributary_items i SET tags = ${TAGS_OF_U}
           FROM jsonb_to_recordset($1::jsonb) AS u(id text, version text, tags jsonb)
          WHERE i.id = u.id AND i.xmin::text = u.version`, [JSON.stringify(changed)]);
      report.retagged += result.rowCount ?? 0;
    }
  }
  await pool.query(
    `INSERT INTO tributary_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value`,
    [TAGGING, tagging]);
  return report;
}

/**
 * Writes the tags `tagsOf` gives these items (as the journal of changes shows them written) where the stored ones
 * differ: an item written by an instance still on the previous config. A row changed since (another hash or
 * alsoIn) is left to the change that changed it. Returns how many rows were corrected.
 */
export async function fixTags(pool: pg.Pool, items: readonly Item[], tagsOf: ItemTagsOf): Promise<number> {
  if (items.length === 0) return 0;
  const rows = items.map((item) => ({ id: item.id, hash: item.hash, also_in: item.alsoIn, tags: tagsOf(item) }));
  const result = await pool.query(
    `UPDATE tributary_items i SET tags = ${TAGS_OF_U}
       FROM jsonb_to_recordset($1::jsonb) AS u(id text, hash text, also_in jsonb, tags jsonb)
      WHERE i.id = u.id AND i.item->>'hash' = u.hash AND i.item->'alsoIn' = u.also_in
        AND i.tags IS DISTINCT FROM ${TAGS_OF_U}`, [JSON.stringify(rows)]);
  return result.rowCount ?? 0;
}

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((tag, i) => tag === b[i]);
}
