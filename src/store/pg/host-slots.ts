// fetch.hostConcurrency and Retry-After pauses over every instance on one database together (issue 16: per-host
// politeness must hold across instances, not per process). Each instance still queues its own requests per host
// (fetch/host-queue.ts); before a request starts it takes one of the host's numbered slots in the database, and
// gives it back when the response has been read. A slot lasts as long as a fetch lease and is renewed with the
// leases (shared-cycle.ts), so the slots of an instance killed mid-request free themselves when its leases do. A host paused by a Retry-After (tributary_hosts.paused_until, leases.ts) is not
// asked at all until the pause ends, by any instance.
import type pg from 'pg';

/** First wait between two tries for a slot; it doubles up to MAX_POLL_MS while all of the host's slots are held. */
const FIRST_POLL_MS = 50;
const MAX_POLL_MS = 500;
/** Slots lost to another instance's ask in a row, retried at once, before waiting like a host with none free. */
const MAX_RACES = 8;

export class PgHostSlots {
  readonly #pool: pg.Pool;
  readonly holder: string;

  constructor(pool: pg.Pool, holder: string) {
    this.#pool = pool;
    this.holder = holder;
  }

  /**
   * One of the host's `limit` slots for this instance for `ttlMs`, or undefined when every one is held (by a holder
   * whose slot has not expired). A free slot is picked at random, so instances asking together seldom pick the same
   * one; when two do, the insert of one wins and the other's update finds the slot unexpired: it gets nothing, with
   * `raced` set (a slot was free), and may ask again at once.
   */
  async tryTake(host: string, limit: number, ttlMs: number): Promise<{ slot?: number; raced: boolean }> {
    const { rows } = await this.#pool.query<{ slot: number | null; had_free: boolean }>({
      name: 'tributary-take-host-slot',
      text: `WITH free AS (
         SELECT s FROM generate_series(0, $3::int - 1) AS s
          WHERE NOT EXISTS (SELECT 1 FROM tributary_host_slots h WHERE h.host = $1 AND h.slot = s AND h.expires_at >= now())
          ORDER BY random() LIMIT 1
       ), taken AS (
         INSERT INTO tributary_host_slots AS h (host, slot, holder, expires_at)
         SELECT $1, s, $2, now() + $4 * interval '1 millisecond' FROM free
         ON CONFLICT (host, slot) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
          WHERE h.expires_at < now()
         RETURNING h.slot
       )
       SELECT (SELECT slot FROM taken) AS slot, EXISTS (SELECT 1 FROM free) AS had_free`,
      values: [host, this.holder, limit, ttlMs],
    });
    const { slot, had_free: hadFree } = rows[0]!;
    return slot === null ? { raced: hadFree } : { slot, raced: false };
  }

  /** tryTake() until a slot is free; undefined when `signal` aborts first (shutdown). */
  async take(host: string, limit: number, ttlMs: number, signal?: AbortSignal): Promise<number | undefined> {
    let wait = FIRST_POLL_MS;
    for (let races = 0; ;) {
      if (signal?.aborted) return undefined;
      const { slot, raced } = await this.tryTake(host, limit, ttlMs);
      if (slot !== undefined) return slot;
      // Lost a free slot to another asker: ask again now (a few times), not after a poll's wait.
      if (raced && ++races <= MAX_RACES) continue;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, MAX_POLL_MS);
    }
  }

  /** Gives the slot back (a slot that expired and was taken by another instance meanwhile is left to it). */
  async give(host: string, slot: number): Promise<void> {
    await this.#pool.query({
      name: 'tributary-give-host-slot', text: 'DELETE FROM tributary_host_slots WHERE host = $1 AND slot = $2 AND holder = $3', values: [host, slot, this.holder],
    });
  }

  /** Extends every slot this instance holds (requests still running) by `ttlMs` from now. */
  async renew(ttlMs: number): Promise<void> {
    await this.#pool.query(
      `UPDATE tributary_host_slots SET expires_at = now() + $2 * interval '1 millisecond' WHERE holder = $1`, [this.holder, ttlMs],
    );
  }

  /** When a Retry-After pause of the host ends, if it has not ended yet (the database's clock). */
  async pausedUntil(host: string): Promise<Date | undefined> {
    const { rows } = await this.#pool.query<{ paused_until: Date }>({
      name: 'tributary-host-paused', text: 'SELECT paused_until FROM tributary_hosts WHERE host = $1 AND paused_until > now()', values: [host],
    });
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
