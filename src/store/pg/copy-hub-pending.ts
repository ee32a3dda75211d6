// The built-in hub's unfinished work in `tributary migrate-store`: requests accepted (202) and not yet verified, and
// content owed to a subscriber. The embedded hub keeps them in data/websub.json (`pending`), the PostgreSQL hub in
// tributary_websub_verifications and tributary_websub_deliveries; both resume them at the next start. A request
// left behind would be a subscriber who was told "accepted" and never hears again.
import type pg from 'pg';
import type { PendingDelivery, PendingVerification, PendingWork } from '../../serve/websub/subscriptions.ts';
import { VERIFICATION_COLUMNS, verificationOf, type VerificationRow } from './websub-subscriptions.ts';

const keyOf = (p: { topic: string; callback: string }) => `${p.topic}\n${p.callback}`;

/** One per topic and callback, the last one kept (the hub acts on the latest request), as both tables are keyed. */
function lastPerKey<T extends { topic: string; callback: string }>(list: readonly T[]): T[] {
  return [...new Map(list.map((p) => [keyOf(p), p])).values()];
}

/**
 * What of data/websub.json's pending work goes to the database: every request, and the deliveries owed to the
 * subscriptions copied (a delivery row belongs to its subscription's row), with the document each names.
 */
export function pendingToCopy(work: PendingWork, docNames: ReadonlyMap<string, string>): { verifications: PendingVerification[]; deliveries: (PendingDelivery & { docName: string })[] } {
  const deliveries = lastPerKey(work.deliveries).flatMap((d) => {
    const docName = docNames.get(keyOf(d));
    return docName ? [{ ...d, docName }] : [];
  });
  return { verifications: lastPerKey(work.verifications), deliveries };
}

/** Writes them in the copy's transaction, after the subscriptions. */
export async function insertPending(client: pg.ClientBase, pending: ReturnType<typeof pendingToCopy>): Promise<void> {
  if (pending.verifications.length > 0) {
    await client.query(
      `INSERT INTO tributary_websub_verifications (topic, callback, mode, lease_seconds, secret)
       SELECT e->>'topic', e->>'callback', e->>'mode', (e->>'leaseSeconds')::integer, e->>'secret'
         FROM jsonb_array_elements($1::jsonb) AS e`,
      [JSON.stringify(pending.verifications)],
    );
  }
  if (pending.deliveries.length > 0) {
    await client.query(
      `INSERT INTO tributary_websub_deliveries (topic, callback, doc_name, attempts)
       SELECT e->>'topic', e->>'callback', e->>'docName', (e->>'attempts')::integer FROM jsonb_array_elements($1::jsonb) AS e`,
      [JSON.stringify(pending.deliveries)],
    );
  }
}

/**
 * The database's pending work, as data/websub.json keeps it: the deliveries of the subscriptions copied (`copied`
 * keys). A delivery an instance is sending now (leased) counts the attempt under way: that one has not failed yet.
 */
export async function readPgPending(db: pg.Pool | pg.ClientBase, copied: ReadonlySet<string>): Promise<PendingWork> {
  const { rows: requests } = await db.query<VerificationRow>(
    `SELECT ${VERIFICATION_COLUMNS} FROM tributary_websub_verifications ORDER BY topic, callback`,
  );
  const { rows: owed } = await db.query<{ topic: string; callback: string; attempts: number }>(
    `SELECT topic, callback, greatest(0, attempts - (holder IS NOT NULL)::integer) AS attempts
       FROM tributary_websub_deliveries ORDER BY topic, callback`,
  );
  return {
    verifications: requests.map(verificationOf),
    deliveries: owed.filter((d) => copied.has(keyOf(d))).map((d) => ({ topic: d.topic, callback: d.callback, attempts: d.attempts })),
  };
}

/** Requests to verify and deliveries owed in the database: a target that holds any is not empty either. */
export async function pgPendingCounts(db: pg.Pool | pg.ClientBase): Promise<{ verifications: number; deliveries: number }> {
  const { rows } = await db.query<{ v: string; d: string }>(
    'SELECT (SELECT count(*) FROM tributary_websub_verifications) AS v, (SELECT count(*) FROM tributary_websub_deliveries) AS d',
  );
  return { verifications: Number(rows[0]!.v), deliveries: Number(rows[0]!.d) };
}

/** Why the pending work in the copy is not what was copied, or undefined. */
export function pendingMismatch(expected: { verifications: number; deliveries: number }, copied: { verifications: number; deliveries: number }): string | undefined {
  if (expected.verifications !== copied.verifications) return `${expected.verifications} WebSub requests to verify in the source store, ${copied.verifications} in the copy`;
  if (expected.deliveries !== copied.deliveries) return `${expected.deliveries} WebSub deliveries owed in the source store, ${copied.deliveries} in the copy`;
  return undefined;
}

export { keyOf as pendingKeyOf };
