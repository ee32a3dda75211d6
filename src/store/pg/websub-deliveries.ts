// The built-in WebSub hub's content owed, on the PostgreSQL store: rows of tributary_websub_deliveries, queued by
// the trigger on tributary_rendered in the publishing transaction (migration 5), taken under a lease as the fetch
// leases are (FOR UPDATE SKIP LOCKED: two instances looking at once get disjoint rows and never wait on each
// other). Every write below is conditioned on this instance still being the holder, so a late answer from an
// instance whose lease ran out cannot undo the new holder's work.
import { gunzipSync } from 'node:zlib';
import type pg from 'pg';
import type { TopicContent } from '../../serve/websub/content.ts';
import type { DeliveryLeases, LeasedDelivery } from '../../serve/websub/leased-deliveries.ts';

export class PgDeliveryLeases implements DeliveryLeases {
  readonly #pool: pg.Pool;
  readonly holder: string;

  constructor(pool: pg.Pool, holder: string) {
    this.#pool = pool;
    this.holder = holder;
  }

  async take(limit: number, leaseMs: number): Promise<LeasedDelivery[]> {
    const { rows } = await this.#pool.query<{
      topic: string; callback: string; doc_name: string; attempts: number; changes: string; previous: string | null; secret: string | null; expires_at: Date;
    }>(
      `WITH due AS (
         SELECT topic, callback, holder AS previous
           FROM tributary_websub_deliveries
          WHERE due_at <= now() AND (holder IS NULL OR lease_until < now())
          ORDER BY due_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       )
       UPDATE tributary_websub_deliveries d
          SET holder = $1, lease_until = now() + $3 * interval '1 millisecond', attempts = d.attempts + 1
         FROM due, tributary_websub_subscriptions s
        WHERE d.topic = due.topic AND d.callback = due.callback AND s.topic = d.topic AND s.callback = d.callback
       RETURNING d.topic, d.callback, d.doc_name, d.attempts, d.changes, due.previous, s.secret, s.expires_at`,
      [this.holder, limit, leaseMs],
    );
    return rows.map((r) => ({
      topic: r.topic, callback: r.callback, name: r.doc_name, attemptNo: r.attempts, changes: Number(r.changes),
      expires: r.expires_at.toISOString(), ...(r.secret !== null ? { secret: r.secret } : {}), ...(r.previous ? { stolenFrom: r.previous } : {}),
    }));
  }

  async content(names: readonly string[]): Promise<Map<string, TopicContent>> {
    const { rows } = await this.#pool.query<{ name: string; body: Buffer | null; gzip: Buffer | null; content_type: string }>(
      'SELECT name, body, gzip, content_type FROM tributary_rendered WHERE name = ANY($1::text[])', [names],
    );
    // Published compressed (rendered.ts), or as a body by a store from before that.
    return new Map(rows.map((r) => [r.name, { body: r.body ?? gunzipSync(r.gzip!), contentType: r.content_type }]));
  }

  async hold(d: LeasedDelivery, leaseMs: number): Promise<boolean> {
    const { rowCount } = await this.#pool.query(
      `UPDATE tributary_websub_deliveries SET lease_until = now() + $4 * interval '1 millisecond'
        WHERE topic = $1 AND callback = $2 AND holder = $3`,
      [d.topic, d.callback, this.holder, leaseMs],
    );
    return rowCount === 1;
  }

  async finish(d: LeasedDelivery): Promise<void> {
    const { rowCount } = await this.#pool.query(
      'DELETE FROM tributary_websub_deliveries WHERE topic = $1 AND callback = $2 AND holder = $3 AND changes = $4',
      [d.topic, d.callback, this.holder, d.changes],
    );
    if (rowCount === 1) return;
    // A publication came during the send: its content is owed too, with attempts of its own.
    await this.#pool.query(
      `UPDATE tributary_websub_deliveries SET holder = NULL, lease_until = NULL, due_at = now(), attempts = 0
        WHERE topic = $1 AND callback = $2 AND holder = $3`,
      [d.topic, d.callback, this.holder],
    );
  }

  async retryIn(d: LeasedDelivery, delayMs: number): Promise<void> {
    await this.#pool.query(
      `UPDATE tributary_websub_deliveries SET holder = NULL, lease_until = NULL, due_at = now() + $4 * interval '1 millisecond'
        WHERE topic = $1 AND callback = $2 AND holder = $3`,
      [d.topic, d.callback, this.holder, delayMs],
    );
  }

  async release(d: LeasedDelivery): Promise<void> {
    await this.#pool.query(
      `UPDATE tributary_websub_deliveries SET holder = NULL, lease_until = NULL, attempts = greatest(0, attempts - 1)
        WHERE topic = $1 AND callback = $2 AND holder = $3`,
      [d.topic, d.callback, this.holder],
    );
  }
}
