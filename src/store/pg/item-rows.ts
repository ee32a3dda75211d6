// Statements on tributary_items and the change journal that take many rows at once: a source's write is a few
// statements whatever its item count (each a round trip the writing instance waits for), not a few per item.
//
// Rows travel as one JSON array parameter ({ item, tags } per row), read back by jsonb_to_recordset: serialised
// once by JSON.stringify, with no array literal to escape element by element. The statements are named, so each
// connection parses and plans them once (node-postgres prepares a named statement on its first use).
import type pg from 'pg';
import type { Item } from '../../model.ts';
import type { ItemChange } from '../store-api.ts';

export type Client = pg.PoolClient;
export type Tags = (item: Item) => readonly string[];

/** The columns kept beside the item's JSON, taken from it in the database. */
const COLUMNS_OF_R = `r.item->>'key', r.item->>'canonicalLink', r.item->>'fingerprint', (r.item->>'published')::timestamptz`;

const INSERT_ITEMS = `INSERT INTO tributary_items (id, source_id, key, canonical_link, fingerprint, published, first_seen, updated, item, tags)
  SELECT r.item->>'id', r.item->>'sourceId', ${COLUMNS_OF_R},
         (r.item->>'firstSeen')::timestamptz, (r.item->>'updated')::timestamptz, r.item, r.tags
    FROM jsonb_to_recordset($1::jsonb) AS r(item jsonb, tags text[])
  ON CONFLICT DO NOTHING RETURNING id`;

// first_seen and source_id stay as first stored, as they always did.
const UPDATE_ITEMS = `UPDATE tributary_items t
    SET (key, canonical_link, fingerprint, published, updated, item, tags) =
        (${COLUMNS_OF_R}, (r.item->>'updated')::timestamptz, r.item, r.tags)
   FROM jsonb_to_recordset($1::jsonb) AS r(item jsonb, tags text[])
  WHERE t.id = r.item->>'id'`;

// In the order given: sequence numbers follow the array's order.
const INSERT_CHANGES = `INSERT INTO tributary_changes (item_id, before, after)
  SELECT coalesce(c.value->'after'->>'id', c.value->'before'->>'id'), c.value->'before', c.value->'after'
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS c(value, n)
   ORDER BY c.n`;

const LOCK_BY_ID = 'SELECT item FROM tributary_items WHERE id = ANY($1::text[]) FOR UPDATE';

/** Inserts the items that take no stored id nor (source, key); returns the ids inserted. */
export async function insertItems(client: Client, items: readonly Item[], tags: Tags): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const { rows } = await client.query<{ id: string }>({
    name: 'tributary-insert-items', text: INSERT_ITEMS, values: [JSON.stringify(items.map((item) => ({ item, tags: tags(item) })))],
  });
  return new Set(rows.map((r) => r.id));
}

/** The stored items of these ids, locked until the transaction ends, by id (an id not stored is absent). */
export async function lockItems(client: Client, ids: readonly string[]): Promise<Map<string, Item>> {
  if (ids.length === 0) return new Map();
  const { rows } = await client.query<{ item: Item }>({ name: 'tributary-lock-items', text: LOCK_BY_ID, values: [ids] });
  return new Map(rows.map((r) => [r.item.id, r.item]));
}

/** Appends changes to the journal, in this order, in one statement. */
export async function journal(client: Client, changes: readonly ItemChange[]): Promise<void> {
  if (changes.length === 0) return;
  // An absent side is left out of the JSON (not null), so that it is SQL NULL, as a change without it always was.
  const rows = changes.map((c) => ({ before: c.before, after: c.after }));
  await client.query({ name: 'tributary-journal', text: INSERT_CHANGES, values: [JSON.stringify(rows)] });
}

/**
 * What one transaction did to stored items: each item as the transaction left it (read under a row lock, or
 * written by it), the changes in the order they were made, and the rows to write back. A second change of an item
 * in the same transaction starts from the first one's result, as it would if each were written at once; flush()
 * writes every changed row once and the journal in one statement.
 */
export class ItemChanges {
  readonly #tags: Tags;
  readonly #current = new Map<string, Item>();
  readonly #replaced = new Set<string>();
  readonly #journal: ItemChange[] = [];

  constructor(tags: Tags) {
    this.#tags = tags;
  }

  /** The item as this transaction has it now: `read` (locked by the caller), or what this transaction made of it. */
  current(read: Item): Item {
    const known = this.#current.get(read.id);
    if (known) return known;
    this.#current.set(read.id, read);
    return read;
  }

  /** the item of this id as this transaction has it, if it read or wrote it */
  known(id: string): Item | undefined {
    return this.#current.get(id);
  }

  /** An item inserted by this transaction. */
  added(item: Item): Item {
    this.#current.set(item.id, item);
    this.#journal.push({ after: item });
    return item;
  }

  /** `before` (as current() gave it) becomes `after` (the same id). */
  replaced(before: Item, after: Item): Item {
    this.#current.set(after.id, after);
    this.#replaced.add(after.id);
    this.#journal.push({ before, after });
    return after;
  }

  /** Writes the replaced rows (each once, as last changed, with its tags) and the journal. */
  async flush(client: Client): Promise<void> {
    if (this.#replaced.size > 0) {
      const rows = [...this.#replaced].map((id) => {
        const item = this.#current.get(id)!;
        return { item, tags: this.#tags(item) };
      });
      await client.query({ name: 'tributary-update-items', text: UPDATE_ITEMS, values: [JSON.stringify(rows)] });
      this.#replaced.clear();
    }
    await journal(client, this.#journal.splice(0));
  }
}
