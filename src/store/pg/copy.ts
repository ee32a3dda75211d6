// Copying a whole store between the embedded files and PostgreSQL (`tributary migrate-store`): items, source
// states (with their pruned keys), the canonical-link claims and the built-in WebSub hub's active subscriptions
// with its unfinished work (copy-subscriptions.ts), into an empty target only, then counted on both sides. The
// journal of changes is not copied: a renderer starting on the copy renders everything once.
import type { Item, SourceState } from '../../model.ts';
import type { SubscriptionStore } from '../../serve/websub/subscriptions.ts';
import type { ItemStore } from '../store.ts';
import {
  checkPgSubscriptions, copySubscriptionsToEmbedded, heldSubscriptionsProblem, insertSubscriptions, pgHubHeld,
  subscriptionsToCopy, type HubCopy, type HubCopyReport,
} from './copy-subscriptions.ts';
import type { PgStore } from './pg-store.ts';

/** Rows per INSERT: large enough to cost few round trips, small enough for one statement's parameters. */
const BATCH = 500;

export class CopyRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CopyRefusedError';
  }
}

export interface CopyReport {
  items: number;
  sources: number;
  bySource: Map<string, number>;
  /** the hub's subscriptions, when the copy was given them */
  hub?: HubCopyReport;
}

/** Items per source, and source states, on the PostgreSQL side. */
async function pgCounts(pg: PgStore): Promise<{ bySource: Map<string, number>; states: number }> {
  const { rows } = await pg.pool.query<{ n: string }>('SELECT count(*) AS n FROM tributary_sources');
  return { bySource: await pg.countsBySource(), states: Number(rows[0]!.n) };
}

function sameCounts(a: Map<string, number>, b: Map<string, number>): string | undefined {
  for (const id of new Set([...a.keys(), ...b.keys()])) {
    if ((a.get(id) ?? 0) !== (b.get(id) ?? 0)) return `source ${id}: ${a.get(id) ?? 0} items in the source store, ${b.get(id) ?? 0} in the copy`;
  }
  return undefined;
}

/** Copies an embedded store into an empty PostgreSQL database, in one transaction, then compares the counts. */
export async function copyToPostgres(from: ItemStore, to: PgStore, hub?: HubCopy): Promise<CopyReport> {
  const existing = await pgCounts(to);
  const stored = [...existing.bySource.values()].reduce((a, b) => a + b, 0);
  const also = hub ? await pgHubHeld(to) : '';
  if (stored > 0 || existing.states > 0 || also) {
    throw new CopyRefusedError(`the database already holds ${stored} items and ${existing.states} source states${also}: migrate-store copies into an empty database only`);
  }
  const subscriptions = hub ? subscriptionsToCopy(hub) : undefined;
  if (subscriptions?.unnamed) {
    const { callback, topic } = subscriptions.unnamed;
    throw new CopyRefusedError(`the WebSub subscription of ${callback} to ${topic} names no feed of this service (a topic is <baseUrl>/feeds/PATH.FORMAT): nothing was copied`);
  }
  const items = from.items();
  const states = Object.values(from.sourceStates());
  const client = await to.pool.connect();
  try {
    await client.query('BEGIN');
    for (let i = 0; i < items.length; i += BATCH) {
      const batch = items.slice(i, i + BATCH);
      await client.query(
        `INSERT INTO tributary_items (id, source_id, key, canonical_link, fingerprint, published, first_seen, updated, item)
         SELECT e->>'id', e->>'sourceId', e->>'key', e->>'canonicalLink', e->>'fingerprint',
                (e->>'published')::timestamptz, (e->>'firstSeen')::timestamptz, (e->>'updated')::timestamptz, e
           FROM jsonb_array_elements($1::jsonb) AS e`,
        [JSON.stringify(batch)],
      );
      // The first item stored with a link owns it, as in the embedded store's index: items are in stored order.
      await client.query(
        `INSERT INTO tributary_story_links (canonical_link, item_id)
         SELECT e->>'canonicalLink', e->>'id' FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(e, n)
          WHERE e->>'canonicalLink' IS NOT NULL ORDER BY n
         ON CONFLICT DO NOTHING`,
        [JSON.stringify(batch)],
      );
    }
    for (let i = 0; i < states.length; i += BATCH) {
      await client.query(
        `INSERT INTO tributary_sources (source_id, state, updated_at)
         SELECT e->>'id', e, now() FROM jsonb_array_elements($1::jsonb) AS e`,
        [JSON.stringify(states.slice(i, i + BATCH))],
      );
    }
    if (subscriptions) await insertSubscriptions(client, subscriptions);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  const copied = await pgCounts(to);
  const expected = from.countsBySource();
  const mismatch = sameCounts(expected, copied.bySource) ?? (copied.states !== states.length ? `${states.length} source states in the source store, ${copied.states} in the copy` : undefined);
  if (mismatch) throw new Error(`the copy does not match: ${mismatch}`);
  const report: CopyReport = { items: items.length, sources: states.length, bySource: copied.bySource };
  if (subscriptions) report.hub = await checkPgSubscriptions(to, subscriptions);
  return report;
}

/** Copies a PostgreSQL store into an empty embedded store (a new data directory), then compares the counts. */
export async function copyToEmbedded(from: PgStore, to: ItemStore, hub?: HubCopy & { reopen: () => Promise<SubscriptionStore> }): Promise<CopyReport> {
  if (to.size > 0 || Object.keys(to.sourceStates()).length > 0) {
    throw new CopyRefusedError(`${to.file} already holds ${to.size} items: migrate-store copies into an empty data directory only`);
  }
  const held = hub ? heldSubscriptionsProblem(hub) : undefined;
  if (held) throw new CopyRefusedError(held);
  // In the order they were first stored, read a page at a time (keyset on first_seen, id): the embedded store
  // gives the first item with a link its claim, as the database did.
  let after: { firstSeen: string; id: string } | undefined;
  let items = 0;
  for (;;) {
    const { rows } = await from.pool.query<{ item: Item; first_seen: Date }>(
      `SELECT item, first_seen FROM tributary_items
        WHERE $1::timestamptz IS NULL OR (first_seen, id COLLATE "C") > ($1::timestamptz, $2::text COLLATE "C")
        ORDER BY first_seen, id COLLATE "C" LIMIT $3`,
      [after?.firstSeen ?? null, after?.id ?? '', BATCH * 4],
    );
    if (rows.length === 0) break;
    to.apply(rows.map((r) => r.item), []);
    items += rows.length;
    const last = rows[rows.length - 1]!;
    after = { firstSeen: last.first_seen.toISOString(), id: last.item.id };
  }
  const { rows: stateRows } = await from.pool.query<{ state: SourceState }>('SELECT state FROM tributary_sources ORDER BY source_id');
  for (const { state } of stateRows) to.setSourceState(state);
  await to.commit();
  const expected = await from.countsBySource();
  const mismatch = sameCounts(expected, to.countsBySource());
  if (mismatch) throw new Error(`the copy does not match: ${mismatch}`);
  const report: CopyReport = { items, sources: stateRows.length, bySource: to.countsBySource() };
  if (hub) report.hub = await copySubscriptionsToEmbedded(from, hub, hub.reopen);
  return report;
}
