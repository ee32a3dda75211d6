// The PostgreSQL store: the same StoreBackend as the embedded one, for several instances sharing one database.
//
// Dedupe is decided in the database, not by a read-then-write: dedupe (merge.ts) runs against candidates() read
// before the write, and write() checks again inside its transaction, where it cannot race another instance
// (write-batch.ts: unique constraints, link claims, fingerprint locks). A source's write is a few statements
// whatever its item count (item-rows.ts). A transaction that deadlocks with another is retried.
import pg from 'pg';
import type { StoredItems } from '../../dedupe/merge.ts';
import type { Item, SourceState } from '../../model.ts';
import { rememberPruned } from '../pruned-keys.ts';
import type { RetentionPolicy } from '../retention.ts';
import type { ItemChange, PruneReport, StoreBackend, WriteBatch, WriteResult } from '../store-api.ts';
import { ItemChanges, journal, lockItems, type Client } from './item-rows.ts';
import { migrate, type MigrationReport } from './migrate.ts';
import { noTags, unique, writeBatch } from './write-batch.ts';

export interface PgStoreOptions {
  url: string;
  /** connections in the pool (store.pool, default 10) */
  pool?: number;
  /** a statement running longer is cancelled (ms; default 30 s) */
  statementTimeoutMs?: number;
}

/** Postgres error codes a transaction is retried after: deadlock_detected, serialization_failure. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

export class PgStore implements StoreBackend {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly migration: MigrationReport;

  private constructor(pool: pg.Pool, migration: MigrationReport) {
    this.pool = pool;
    this.migration = migration;
  }

  /** Connects, and creates or migrates the schema (refused when the database is newer than this code). */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.pool ?? 10,
      connectionTimeoutMillis: 10_000,
      statement_timeout: options.statementTimeoutMs ?? 30_000,
      application_name: 'tributary',
    });
    // An idle connection the server dropped must not crash the process: the pool replaces it.
    pool.on('error', () => {});
    try {
      return new PgStore(pool, await migrate(pool));
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async candidates(sourceId: string, fresh: readonly Item[]): Promise<StoredItems> {
    const keys = fresh.map((i) => i.key);
    const ids = fresh.map((i) => i.id);
    const fingerprints = unique(fresh.map((i) => i.fingerprint));
    const links = unique(fresh.map((i) => i.canonicalLink));
    // One statement, each item once (an item found by key and by its link is read once), with the asked links it owns.
    // Each way of finding an item is a lookup of its own index, and the items are read by id from an array: written
    // as one OR joined to the items, a planner without statistics (a new store) guessed a few thousand ids and read
    // the whole table for every source written.
    const { rows } = await this.pool.query<{ item: Item; links: string[] | null }>({
      name: 'tributary-candidates',
      text: `SELECT i.item, (SELECT array_agg(l.canonical_link) FROM tributary_story_links l
                              WHERE l.item_id = i.id AND l.canonical_link = ANY($5::text[])) AS links
               FROM tributary_items i
              WHERE i.id = ANY (ARRAY(
                SELECT id FROM tributary_items WHERE source_id = $1 AND key = ANY($2::text[])
                UNION SELECT id FROM tributary_items WHERE id = ANY($3::text[])
                UNION SELECT id FROM tributary_items WHERE fingerprint = ANY($4::text[])
                UNION SELECT item_id FROM tributary_story_links WHERE canonical_link = ANY($5::text[])))`,
      values: [sourceId, keys, ids, fingerprints, links],
    });
    const owners = rows.flatMap((r) => (r.links ?? []).map((link) => ({ canonical_link: link, item: r.item })));
    return snapshotOf(rows.map((r) => r.item), owners);
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    return this.#transaction(async (client) => {
      const result = await writeBatch(client, batch);
      if (batch.state) await saveState(client, batch.state);
      return result;
    });
  }

  async prune(policy: RetentionPolicy, now: Date): Promise<PruneReport> {
    const report: PruneReport = { byCount: 0, byAge: 0, purged: [] };
    const { rows } = await this.pool.query<{ source_id: string }>('SELECT DISTINCT source_id FROM tributary_items ORDER BY 1');
    for (const { source_id: sourceId } of rows) {
      const rule = policy(sourceId);
      await this.#transaction(async (client) => {
        if (rule === 'purge') {
          const dropped = await client.query<{ item: Item }>('DELETE FROM tributary_items WHERE source_id = $1 RETURNING item', [sourceId]);
          await journal(client, dropped.rows.map((r) => ({ before: r.item })));
          await client.query('DELETE FROM tributary_sources WHERE source_id = $1', [sourceId]);
          report.purged.push(sourceId);
          return;
        }
        const cutoff = rule.maxAgeDays === undefined ? null : new Date(now.getTime() - rule.maxAgeDays * 86_400_000).toISOString();
        // Ranked newest first as newestFirst() does (published, then id), 1-based.
        const dropped = await client.query<{ item: Item; by_count: boolean }>(
          `WITH ranked AS (
             SELECT id, published, row_number() OVER (ORDER BY published DESC, id COLLATE "C" ASC) AS rank
               FROM tributary_items WHERE source_id = $1
           )
           DELETE FROM tributary_items i USING ranked r
            WHERE i.id = r.id AND (r.rank > $2 OR (r.rank > $3 AND $4::timestamptz IS NOT NULL AND r.published < $4::timestamptz))
            RETURNING i.item, r.rank > $2 AS by_count`,
          [sourceId, rule.maxItems, rule.minItems ?? 0, cutoff],
        );
        if (dropped.rows.length === 0) return;
        for (const row of dropped.rows) if (row.by_count) report.byCount++; else report.byAge++;
        await journal(client, dropped.rows.map((r) => ({ before: r.item })));
        // Remembered so that the source, still listing them, does not bring them back as new.
        const state = await readState(client, sourceId, true);
        const prunedKeys = rememberPruned(state.prunedKeys, dropped.rows.map((r) => r.item), now);
        await saveState(client, prunedKeys ? { ...state, prunedKeys } : state);
      });
    }
    return report;
  }

  /** A source's items as the full-text step reads them (fulltext/full-text-pass.ts): without summary and content. */
  async pageStates(sourceId: string): Promise<Item[]> {
    const { rows } = await this.pool.query<{ item: Item }>(`SELECT item - 'summary' - 'content' AS item FROM tributary_items WHERE source_id = $1`, [sourceId]);
    return rows.map((r) => r.item);
  }

  /**
   * Rewrites items in one transaction, each change applied to the item as stored now (locked); an item gone
   * meanwhile (retention, another instance) is skipped. Returns the items written.
   */
  async rewrite(changes: readonly { id: string; change: (current: Item) => Item }[], tags: (item: Item) => readonly string[] = noTags): Promise<Item[]> {
    return this.#transaction(async (client) => {
      const rows = new ItemChanges(tags);
      const locked = await lockItems(client, unique(changes.map((c) => c.id)));
      const written: Item[] = [];
      for (const { id, change } of changes) {
        const read = locked.get(id);
        if (!read) continue;
        const before = rows.current(read);
        const after = change(before);
        if (after !== before) written.push(rows.replaced(before, after));
      }
      await rows.flush(client);
      return written;
    });
  }

  async item(id: string): Promise<Item | undefined> {
    const { rows } = await this.pool.query<{ item: Item }>('SELECT item FROM tributary_items WHERE id = $1', [id]);
    return rows[0]?.item;
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM tributary_items');
    return Number(rows[0]!.n);
  }

  async countsBySource(): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ source_id: string; n: string }>('SELECT source_id, count(*) AS n FROM tributary_items GROUP BY 1 ORDER BY 1');
    return new Map(rows.map((r) => [r.source_id, Number(r.n)]));
  }

  /** Every source's state, by id. */
  async sourceStates(): Promise<Record<string, SourceState>> {
    const { rows } = await this.pool.query<{ source_id: string; state: SourceState }>('SELECT source_id, state FROM tributary_sources');
    return Object.fromEntries(rows.map((r) => [r.source_id, r.state]));
  }

  /** The states of these sources in one read (a fetch pass's batch), by id; a source never stored has none. */
  async sourceStatesOf(ids: readonly string[]): Promise<Map<string, SourceState>> {
    const { rows } = await this.pool.query<{ source_id: string; state: SourceState }>({
      name: 'tributary-source-states', text: 'SELECT source_id, state FROM tributary_sources WHERE source_id = ANY($1::text[])', values: [ids],
    });
    return new Map(rows.map((r) => [r.source_id, r.state]));
  }

  async sourceState(id: string): Promise<SourceState> {
    const client = await this.pool.connect();
    try {
      return await readState(client, id, false);
    } finally {
      client.release();
    }
  }

  async setSourceState(state: SourceState): Promise<void> {
    const client = await this.pool.connect();
    try {
      await saveState(client, state);
    } finally {
      client.release();
    }
  }

  async revision(): Promise<number> {
    const { rows } = await this.pool.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM tributary_changes');
    return Number(rows[0]!.seq ?? 0);
  }

  /**
   * The changes committed by transactions that began at or after `since` (a watermark this method returned before;
   * '0' at first) and below the oldest transaction still running, in the order they were made; and the watermark
   * to pass next time. Unlike a sequence number, the watermark never passes a transaction that is still running,
   * so a change committed late is read late, never skipped.
   */
  /**
   * Where changesAfter() would start to read now, without reading anything: before a full read of the items.
   * The oldest transaction still running in this database (or the next transaction id when none runs). A
   * snapshot's own xmin is the oldest of the whole cluster: a long transaction in another database on the same
   * server held every render back. Transactions that pg_stat_activity shows in another database are left out;
   * any other (this database's, or one whose backend is not shown to this user) still holds the watermark back,
   * so a change is never skipped.
   */
  async watermark(): Promise<string> {
    const { rows: [mark] } = await this.pool.query<{ w: string }>(
      `WITH snap AS (SELECT pg_current_snapshot() AS s)
       SELECT coalesce(
         (SELECT min(x) FROM snap, pg_snapshot_xip(snap.s) AS x
           WHERE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                              WHERE a.backend_xid = xid(x) AND a.datname IS DISTINCT FROM current_database())),
         (SELECT pg_snapshot_xmax(s) FROM snap))::text AS w`,
    );
    return mark!.w;
  }

  /**
   * The changes committed since watermark `since`, handed to `take` in their order, `pageRows` at a time; returns the
   * watermark to follow from next. A page at a time: a fetch pass of 1,000 sources journals some 20,000 changes, each
   * with the item before and after, and read in one query they took the renderer's heap 150 MiB up at once.
   */
  async changesAfter(since: string, take: (changes: ItemChange[]) => Promise<void> | void, pageRows = 1000): Promise<string> {
    // Every transaction below this watermark has ended, so the next queries (later snapshots) see all its rows, and
    // the rows of the window do not change: paging through them by seq misses none.
    const watermark = await this.watermark();
    let after = '0';
    for (;;) {
      const { rows } = await this.pool.query<{ seq: string; before: Item | null; after: Item | null }>(
        'SELECT seq, before, after FROM tributary_changes WHERE xid >= $1::xid8 AND xid < $2::xid8 AND seq > $3 ORDER BY seq LIMIT $4',
        [since, watermark, after, pageRows],
      );
      if (rows.length > 0) await take(rows.map((r) => ({ ...(r.before ? { before: r.before } : {}), ...(r.after ? { after: r.after } : {}) })));
      if (rows.length < pageRows) return watermark;
      after = rows[rows.length - 1]!.seq;
    }
  }

  async changesSince(revision: number): Promise<ItemChange[] | null> {
    const current = await this.revision();
    if (revision > current) return null;
    const { rows } = await this.pool.query<{ before: Item | null; after: Item | null }>(
      'SELECT before, after FROM tributary_changes WHERE seq > $1 ORDER BY seq', [revision],
    );
    return rows.map((r) => ({ ...(r.before ? { before: r.before } : {}), ...(r.after ? { after: r.after } : {}) }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async #transaction<T>(work: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        if (attempt < MAX_ATTEMPTS && RETRYABLE.has((error as { code?: string }).code ?? '')) continue;
        throw error;
      } finally {
        client.release();
      }
    }
  }
}

async function readState(client: Client, id: string, forUpdate: boolean): Promise<SourceState> {
  const { rows } = await client.query<{ state: SourceState }>(`SELECT state FROM tributary_sources WHERE source_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0]?.state ?? { id, consecutiveFailures: 0 };
}

async function saveState(client: Client, state: SourceState): Promise<void> {
  await client.query({
    name: 'tributary-save-state',
    text: `INSERT INTO tributary_sources (source_id, state, updated_at) VALUES ($1, $2, now())
           ON CONFLICT (source_id) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
    values: [state.id, state],
  });
}

/** The stored items dedupe asked about, with the lookups merge.ts makes, answered from memory. */
function snapshotOf(items: readonly Item[], owners: readonly { canonical_link: string; item: Item }[]): StoredItems {
  const byId = new Map(items.map((i) => [i.id, i]));
  for (const { item } of owners) byId.set(item.id, item);
  const bySourceKey = new Map([...byId.values()].map((i) => [`${i.sourceId}\u0000${i.key}`, i]));
  const byLink = new Map(owners.map((o) => [o.canonical_link, o.item]));
  const byFingerprint = new Map<string, Item[]>();
  for (const item of byId.values()) {
    if (!item.fingerprint) continue;
    byFingerprint.set(item.fingerprint, [...(byFingerprint.get(item.fingerprint) ?? []), item]);
  }
  return {
    bySourceKey: (sourceId, key) => bySourceKey.get(`${sourceId}\u0000${key}`),
    byCanonicalLink: (link) => byLink.get(link),
    byFingerprint: (fingerprint) => byFingerprint.get(fingerprint) ?? [],
    hasId: (id) => byId.has(id),
  };
}
