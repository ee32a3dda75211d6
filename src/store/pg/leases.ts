// Fetch work shared between instances on one database: each due source is fetched by exactly one instance at a
// time, and a host's request rate and Retry-After pauses hold across all of them.
//
// A lease is a row of tributary_leases with a holder and an expiry. Taking due sources is one UPDATE over rows
// picked with FOR UPDATE SKIP LOCKED, so two instances asking at the same moment get disjoint sources and never
// wait on each other (the job query Miniflux #2462 lacked). A holder that dies stops renewing; once its lease has
// expired another instance takes the source, which counts as a steal.
import type pg from 'pg';

export interface TakenLease {
  sourceId: string;
  /** the previous holder, when its lease had run out (a steal) */
  stolenFrom?: string;
}

export class PgLeases {
  readonly #pool: pg.Pool;
  readonly holder: string;

  constructor(pool: pg.Pool, holder: string) {
    this.#pool = pool;
    this.holder = holder;
  }

  /** Makes every configured source known (due now when new); forgets sources no longer configured. */
  async sync(sourceIds: readonly string[]): Promise<void> {
    await this.#pool.query(
      `INSERT INTO tributary_leases (source_id, due_at) SELECT unnest($1::text[]), now() ON CONFLICT (source_id) DO NOTHING`,
      [sourceIds],
    );
    await this.#pool.query('DELETE FROM tributary_leases WHERE NOT (source_id = ANY($1::text[]))', [sourceIds]);
  }

  /** Makes sources due now (fetch --once), unless an instance holds them under a lease that has not run out. */
  async makeDue(sourceIds: readonly string[]): Promise<void> {
    await this.#pool.query(
      `UPDATE tributary_leases SET due_at = least(due_at, now())
        WHERE source_id = ANY($1::text[]) AND (holder IS NULL OR expires_at < now())`,
      [sourceIds],
    );
  }

  /**
   * Takes up to `limit` due sources nobody holds (or whose holder's lease ran out), oldest due first; only those of
   * `only` when given.
   */
  async takeDue(limit: number, leaseMs: number, only?: readonly string[]): Promise<TakenLease[]> {
    const { rows } = await this.#pool.query<{ source_id: string; previous: string | null; expired: boolean }>({
      name: 'tributary-take-due',
      text: `WITH due AS (
         SELECT source_id, holder AS previous, expires_at
           FROM tributary_leases
          WHERE due_at <= now() AND (holder IS NULL OR expires_at < now())
            AND ($4::text[] IS NULL OR source_id = ANY($4::text[]))
          ORDER BY due_at, source_id
          LIMIT $2
          FOR UPDATE SKIP LOCKED
       )
       UPDATE tributary_leases l
          SET holder = $1, expires_at = now() + $3 * interval '1 millisecond', taken_count = l.taken_count + 1
         FROM due
        WHERE l.source_id = due.source_id
       RETURNING l.source_id, due.previous, due.previous IS NOT NULL AS expired`,
      values: [this.holder, limit, leaseMs, only ?? null],
    });
    return rows
      .map((r) => ({ sourceId: r.source_id, ...(r.expired && r.previous ? { stolenFrom: r.previous } : {}) }))
      .sort((a, b) => (a.sourceId < b.sourceId ? -1 : 1));
  }

  /** Extends this instance's leases (a long fetch); returns the sources it still holds. */
  async renew(sourceIds: readonly string[], leaseMs: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ source_id: string }>({
      name: 'tributary-renew-leases',
      text: `UPDATE tributary_leases SET expires_at = now() + $3 * interval '1 millisecond'
              WHERE holder = $1 AND source_id = ANY($2::text[]) RETURNING source_id`,
      values: [this.holder, sourceIds, leaseMs],
    });
    return rows.map((r) => r.source_id).sort();
  }

  /**
   * Gives a source back with its next due time. False when this instance no longer held it (its lease ran out and
   * another instance took the source): the caller's result is then not the latest word on the source.
   */
  async release(sourceId: string, nextDue: Date): Promise<boolean> {
    const { rowCount } = await this.#pool.query({
      name: 'tributary-release-lease',
      text: 'UPDATE tributary_leases SET holder = NULL, expires_at = NULL, due_at = $3 WHERE source_id = $2 AND holder = $1',
      values: [this.holder, sourceId, nextDue],
    });
    return rowCount === 1;
  }

  /** Sources this instance holds now, for /status. */
  async held(): Promise<string[]> {
    const { rows } = await this.#pool.query<{ source_id: string }>(
      'SELECT source_id FROM tributary_leases WHERE holder = $1 AND expires_at >= now() ORDER BY 1', [this.holder],
    );
    return rows.map((r) => r.source_id);
  }

  /**
   * When this instance may start its next request to `host`, given at most `perMinute` requests a minute from all
   * instances together and any Retry-After pause: the moment is reserved at once, so the next caller, in any
   * instance, is spaced after it. Returns the reserved moment (the database's clock) and the ms to wait for it.
   */
  async reserveHostSlot(host: string, perMinute: number): Promise<{ startAt: Date; waitMs: number }> {
    const gapMs = 60_000 / perMinute;
    const { rows } = await this.#pool.query<{ start_at: Date; wait_ms: string }>(
      `INSERT INTO tributary_hosts AS h (host, next_at) VALUES ($1, now() + $2 * interval '1 millisecond')
       ON CONFLICT (host) DO UPDATE
          SET next_at = greatest(h.next_at, h.paused_until, now()) + $2 * interval '1 millisecond'
       RETURNING h.next_at - $2 * interval '1 millisecond' AS start_at,
                 greatest(0, extract(epoch FROM (h.next_at - $2 * interval '1 millisecond' - now())) * 1000) AS wait_ms`,
      [host, gapMs],
    );
    return { startAt: rows[0]!.start_at, waitMs: Math.ceil(Number(rows[0]!.wait_ms)) };
  }

  /** A host answered 429/503 with Retry-After: no instance starts a request to it before `until`. */
  async pauseHost(host: string, until: Date): Promise<void> {
    await this.#pool.query(
      `INSERT INTO tributary_hosts AS h (host, paused_until) VALUES ($1, $2)
       ON CONFLICT (host) DO UPDATE SET paused_until = greatest(h.paused_until, EXCLUDED.paused_until)`,
      [host, until],
    );
  }
}
