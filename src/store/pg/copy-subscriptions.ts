// The built-in WebSub hub's subscriptions in `tributary migrate-store`: data/websub.json (SubscriptionStore) to the
// table tributary_websub_subscriptions and back. Without them an operator who changes stores loses every subscriber
// silently: nobody is told, and each learns only when its lease runs out. Leases that have ended are not copied
// (the hub drops them at its next look anyway) but counted, so the summary says how many were left behind. The
// hub's unfinished work (requests to verify, deliveries owed) goes with them (copy-hub-pending.ts).
import { hostOf } from '../../fetch/host-queue.ts';
import type { Subscription, SubscriptionStore } from '../../serve/websub/subscriptions.ts';
import { topicName } from '../../serve/websub/topics.ts';
import type pg from 'pg';
import type { PgStore } from './pg-store.ts';
import { insertPending, pendingKeyOf, pendingMismatch, pendingToCopy, pgPendingCounts, readPgPending } from './copy-hub-pending.ts';
import { listSubscriptions } from './websub-subscriptions.ts';

/** The hub's side of a copy: its subscriptions in the data directory (the source or the target), and the clock. */
export interface HubCopy {
  /** data/websub.json of the embedded store, opened by the caller */
  subscriptions: SubscriptionStore;
  /** leases ended by then are not copied */
  now: Date;
  /** the service's baseUrl, when the config was read: the feed a topic URL names is read with it first */
  baseUrl?: string | undefined;
}

export interface HubCopyReport {
  /** subscriptions copied, counted again in the target */
  subscriptions: number;
  /** subscriptions whose lease had ended: not copied */
  expired: number;
  /** requests accepted and not verified yet, copied */
  verifications: number;
  /** deliveries owed to the subscriptions copied */
  deliveries: number;
}

/** Rows per INSERT, as for the items. */
const BATCH = 500;

/**
 * The published document (`path.format`) a topic names, as the PostgreSQL hub records it. The hub accepted only a
 * feed's own URL, `<baseUrl>/feeds/<path>.<format>`; without the config's baseUrl (or with one that changed since)
 * it is read from the topic itself, with the base ending before the first `/feeds/` that makes a feed URL.
 */
export function topicDocName(topic: string, baseUrl?: string): string | undefined {
  const named = baseUrl === undefined ? undefined : topicName(baseUrl, topic);
  if (named) return named;
  let origin: number;
  try {
    origin = new URL(topic).origin.length;
  } catch {
    return undefined;
  }
  for (let at = topic.indexOf('/feeds/', origin); at >= 0; at = topic.indexOf('/feeds/', at + 1)) {
    const name = topicName(topic.slice(0, at), topic);
    if (name) return name;
  }
  return undefined;
}

function splitByLease(all: readonly Subscription[], now: Date): { active: Subscription[]; expired: number } {
  const at = now.toISOString();
  const active = all.filter((s) => s.expires > at);
  return { active, expired: all.length - active.length };
}

/** Why `copied` is not `expected` (a missing subscription, or one whose secret or lease changed), or undefined. */
function subscriptionMismatch(expected: readonly Subscription[], copied: readonly Subscription[]): string | undefined {
  if (copied.length !== expected.length) return `${expected.length} WebSub subscriptions in the source store, ${copied.length} in the copy`;
  const byKey = new Map(copied.map((s) => [pendingKeyOf(s), s]));
  for (const s of expected) {
    const copy = byKey.get(pendingKeyOf(s));
    if (!copy) return `the WebSub subscription of ${s.callback} to ${s.topic} is missing from the copy`;
    if (copy.secret !== s.secret || Date.parse(copy.expires) !== Date.parse(s.expires)) {
      return `the WebSub subscription of ${s.callback} to ${s.topic} differs in the copy (secret or lease)`;
    }
  }
  return undefined;
}

/** What the database's hub holds already, in words for a refusal ("" when nothing: an empty target). */
export async function pgHubHeld(pg: PgStore): Promise<string> {
  const { rows } = await pg.pool.query<{ n: string }>('SELECT count(*) AS n FROM tributary_websub_subscriptions');
  const subscriptions = Number(rows[0]!.n);
  const { verifications } = await pgPendingCounts(pg.pool);
  return (subscriptions > 0 ? ` and ${subscriptions} WebSub subscriptions` : '') + (verifications > 0 ? ` and ${verifications} WebSub requests to verify` : '');
}

export type SubscriptionRow = Subscription & { docName: string };

export interface HubRows {
  rows: SubscriptionRow[];
  expired: number;
  pending: ReturnType<typeof pendingToCopy>;
  /** the first subscription whose topic names no feed: the copy is refused (it would be kept and never served) */
  unnamed?: Subscription;
}

/** The active subscriptions of data/websub.json, each with the document it names, and the hub's pending work. */
export function subscriptionsToCopy(hub: HubCopy): HubRows {
  const { active, expired } = splitByLease(hub.subscriptions.all(), hub.now);
  const rows: SubscriptionRow[] = [];
  let unnamed: Subscription | undefined;
  for (const s of active) {
    const docName = topicDocName(s.topic, hub.baseUrl);
    if (docName) rows.push({ ...s, docName });
    else unnamed ??= s;
  }
  const pending = pendingToCopy(hub.subscriptions.pendingAtOpen, new Map(rows.map((r) => [pendingKeyOf(r), r.docName])));
  return { rows, expired, pending, ...(unnamed ? { unnamed } : {}) };
}

/** Writes them in the copy's transaction. */
export async function insertSubscriptions(client: pg.ClientBase, copy: HubRows): Promise<void> {
  const { rows } = copy;
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH).map((s) => ({ ...s, host: hostOf(s.callback) }));
    await client.query(
      `INSERT INTO tributary_websub_subscriptions (topic, callback, doc_name, host, secret, expires_at)
       SELECT e->>'topic', e->>'callback', e->>'docName', e->>'host', e->>'secret', (e->>'expires')::timestamptz
         FROM jsonb_array_elements($1::jsonb) AS e`,
      [JSON.stringify(batch)],
    );
  }
  await insertPending(client, copy.pending);
}

/** After the commit: the database holds exactly the subscriptions copied, and as much pending work. */
export async function checkPgSubscriptions(pg: PgStore, copy: HubRows): Promise<HubCopyReport> {
  const expected = { verifications: copy.pending.verifications.length, deliveries: copy.pending.deliveries.length };
  const mismatch = subscriptionMismatch(copy.rows, await listSubscriptions(pg.pool)) ?? pendingMismatch(expected, await pgPendingCounts(pg.pool));
  if (mismatch) throw new Error(`the copy does not match: ${mismatch}`);
  return { subscriptions: copy.rows.length, expired: copy.expired, ...expected };
}

/** Why the data directory is not an empty target for the hub (its websub.json holds subscriptions or work), or undefined. */
export function heldSubscriptionsProblem(hub: HubCopy): string | undefined {
  const held = hub.subscriptions.all().length;
  const { verifications, deliveries } = hub.subscriptions.pendingAtOpen;
  if (held === 0 && verifications.length === 0 && deliveries.length === 0) return undefined;
  const work = verifications.length > 0 ? ` and ${verifications.length} requests to verify` : '';
  return `${hub.subscriptions.file} already holds ${held} WebSub subscriptions${work}: migrate-store copies into an empty data directory only`;
}

/** Copies the database's active subscriptions and pending work into data/websub.json, written durably, then reads it again. */
export async function copySubscriptionsToEmbedded(from: PgStore, hub: HubCopy, reopen: () => Promise<SubscriptionStore>): Promise<HubCopyReport> {
  const { active, expired } = splitByLease(await listSubscriptions(from.pool), hub.now);
  const pending = await readPgPending(from.pool, new Set(active.map(pendingKeyOf)));
  for (const s of active) hub.subscriptions.put(s);
  hub.subscriptions.pendingWork = () => pending;
  await hub.subscriptions.flush();
  const copy = await reopen();
  const counts = { verifications: pending.verifications.length, deliveries: pending.deliveries.length };
  const mismatch = subscriptionMismatch(active, copy.all())
    ?? pendingMismatch(counts, { verifications: copy.pendingAtOpen.verifications.length, deliveries: copy.pendingAtOpen.deliveries.length });
  if (mismatch) throw new Error(`the copy does not match: ${mismatch}`);
  return { subscriptions: active.length, expired, ...counts };
}
