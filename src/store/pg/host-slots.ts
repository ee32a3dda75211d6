// fetch.hostConcurrency and Retry-After pauses over every instance on one database together (issue 16: per-host
// politeness must hold across instances, not per process). Each instance still queues its own requests per host
// (fetch/host-queue.ts); before a request starts it takes one of the host's numbered slots in the database, and
// gives it back when the response has been read. A slot carries an expiry, so the slots of an instance killed
// mid-request free themselves. A host paused by a Retry-After (tributary_hosts.paused_until, leases.ts) is not
// asked at all until the pause ends, by any instance.
import type pg from 'pg';

/** First wait between two tries for a slot; it doubles up to MAX_POLL_MS while all of the host's slots are held. */
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 1_000;

export class PgHostSlots {
  readonly #pool: pg.Pool;
  readonly holder: string;

  constructor(pool: pg.Pool, holder: string) {
    this.#pool = pool;
    this.holder = holder;
  }

  /**
   * One of the host's `limit` slots for this instance for `ttlMs`, or undefined when every one is held (by a holder
   * whose slot has not expired). Two instances racing for the same free slot: the insert of one wins, the other's
   * update finds it unexpired and gets nothing, and tries again.
   */
  async tryTake(host: string, limit: number, ttlMs: number): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ slot: number }>(
      `WITH free AS (
         SELECT s FROM generate_series(0, $3::int - 1) AS s
          WHERE NOT EXISTS (SELECT 1 FROM tributary_host_slots h WHERE h.host = $1 AND h.slot = s AND h.expires_at >= now())
          ORDER BY s LIMIT 1
       )
       INSERT INTO tributary_host_slots AS h (host, slot, holder, expires_at)
       SELECT $1, s, $2, now() + $4 * interval '1 millisecond' FROM free
       ON CONFLICT (host, slot) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
        WHERE h.expires_at < now()
       RETURNING h.slot`,
      [host, this.holder, limit, ttlMs],
    );
    return rows[0]?.slot;
  }

  /** tryTake() until a slot is free; undefined when `signal` aborts first (shutdown). */
  async take(host: string, limit: number, ttlMs: number, signal?: AbortSignal): Promise<number | undefined> {
    let wait = FIRST_POLL_MS;
    for (;;) {
      if (signal?.aborted) return undefined;
      const slot = await this.tryTake(host, limit, ttlMs);
      if (slot !== undefined) return slot;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, MAX_POLL_MS);
    }
  }

  /** Gives the slot back (a slot that expired and was taken by another instance meanwhile is left to it). */
  async give(host: string, slot: number): Promise<void> {
    await this.#pool.query('DELETE FROM tributary_host_slots WHERE host = $1 AND slot = $2 AND holder = $3', [host, slot, this.holder]);
  }

  /** When a Retry-After pause of the host ends, if it has not ended yet (the database's clock). */
  async pausedUntil(host: string): Promise<Date | undefined> {
    const { rows } = await this.#pool.query<{ paused_until: Date }>(
      'SELECT paused_until FROM tributary_hosts WHERE host = $1 AND paused_until > now()', [host],
    );
    return rows[0]?.paused_until;
  }

  /** Runs `request` holding one of the host's slots; undefined, without running it, when shutdown came while waiting. */
  async run<T>(host: string, limit: number, ttlMs: number, signal: AbortSignal | undefined, request: () => Promise<T>): Promise<{ value: T } | undefined> {
    const slot = await this.take(host, limit, ttlMs, signal);
    if (slot === undefined) return undefined;
    try {
      return { value: await request() };
    } finally {
      await this.give(host, slot).catch(() => {
        // the slot expires on its own
      });
    }
  }
}
