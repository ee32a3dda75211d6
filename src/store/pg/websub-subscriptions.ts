// The built-in WebSub hub's subscriptions on the PostgreSQL store: one table for every instance, so a subscriber who
// subscribed through one instance is known to all, and unsubscribes through any. The hub reads its subscriptions on
// the request path (caps, lookups), so each instance keeps a mirror of the table in memory, read again when another
// instance changes it (NOTIFY tributary_websub) and every 30 s in case a notification was lost.
//
// The caps (websub.maxSubscriptions, maxSubscriptionsPerHost) are checked twice: on the mirror when a request comes
// (with the requests this instance is verifying), and again where the instances meet, when a verified subscription
// is written, under an advisory lock: requests verified at the same moment by two instances cannot go over them.
import pg from 'pg';
import { hostOf } from '../../fetch/host-queue.ts';
import { CoalescedRuns } from '../../schedule/coalesced-runs.ts';
import type { HubLimits } from '../../serve/websub/hub.ts';
import { SubscriptionIndex } from '../../serve/websub/subscription-index.ts';
import type { HubSubscriptions, PendingVerification, PendingWork, Subscription } from '../../serve/websub/subscriptions.ts';
import { PgListener } from './listener.ts';

export const WEBSUB_CHANNEL = 'tributary_websub';
/** pg_advisory_xact_lock key of subscription writes: an arbitrary constant of Tributary's ("wsub" in ASCII). */
const SUBSCRIPTIONS_LOCK = 0x77737562;

export interface PgSubscriptionsOptions {
  pool: pg.Pool;
  url: string;
  /** the published document a topic URL names (`path.format`), or undefined */
  nameOf: (topic: string) => string | undefined;
  /** the service's clock: leases are granted and end by it */
  now: () => Date;
  /** the periodic read behind NOTIFY (ms; default 30 s) */
  checkEveryMs?: number;
  /** a problem that does not stop the hub: the mirror stays as it was */
  warn: (message: string, err?: unknown) => void;
}

interface Row {
  topic: string;
  callback: string;
  secret: string | null;
  expires_at: Date;
}

export class PgSubscriptions implements HubSubscriptions {
  readonly pendingAtOpen: PendingWork;
  pendingWork: () => PendingWork;
  readonly #o: PgSubscriptionsOptions;
  readonly #index = new SubscriptionIndex();
  readonly #listener: PgListener;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #reads = new CoalescedRuns(
    () => this.#read().catch((err) => this.#o.warn('could not read the WebSub subscriptions from PostgreSQL; the last ones stay in force', err)),
    () => this.#closed,
  );

  private constructor(options: PgSubscriptionsOptions, pending: PendingVerification[]) {
    this.#o = options;
    this.pendingAtOpen = { verifications: pending, deliveries: [] };
    this.pendingWork = () => ({ verifications: [], deliveries: [] });
    this.#listener = new PgListener({
      url: options.url, channel: WEBSUB_CHANNEL, name: 'tributary websub listener', warn: options.warn,
      onNotify: () => void this.refresh(), onReconnect: () => void this.refresh(),
    });
  }

  /** Reads the subscriptions, takes the verifications stopped instances left (this one verifies them), and listens. */
  static async open(options: PgSubscriptionsOptions): Promise<PgSubscriptions> {
    const { rows } = await options.pool.query<VerificationRow>(
      `DELETE FROM tributary_websub_verifications RETURNING ${VERIFICATION_COLUMNS}`,
    );
    const pending = rows.map(verificationOf);
    const subscriptions = new PgSubscriptions(options, pending);
    await subscriptions.#listener.connectOrRetry();
    await subscriptions.#read();
    subscriptions.#timer = setInterval(() => {
      void subscriptions.refresh();
    }, options.checkEveryMs ?? 30_000).unref();
    return subscriptions;
  }

  get size(): number {
    return this.#index.size;
  }

  countForHost(host: string): number {
    return this.#index.countForHost(host);
  }

  active(now: Date, topic?: string): Subscription[] {
    return this.#index.active(now, topic);
  }

  find(topic: string, callback: string): Subscription | undefined {
    return this.#index.find(topic, callback);
  }

  async put(s: Subscription, limits: HubLimits): Promise<string | undefined> {
    const name = this.#o.nameOf(s.topic);
    if (!name) return `hub.topic ${s.topic} is no longer a feed of this service`;
    const host = hostOf(s.callback);
    const client = await this.#o.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [SUBSCRIPTIONS_LOCK]);
      // Ended leases do not count: dropped here, as the embedded hub drops them before refusing.
      await client.query('DELETE FROM tributary_websub_subscriptions WHERE expires_at <= $1', [this.#o.now()]);
      const { rows } = await client.query<{ held: boolean; total: string; on_host: string }>(
        `SELECT EXISTS (SELECT 1 FROM tributary_websub_subscriptions WHERE topic = $1 AND callback = $2) AS held,
                count(*) AS total, count(*) FILTER (WHERE host = $3) AS on_host
           FROM tributary_websub_subscriptions`,
        [s.topic, s.callback, host],
      );
      const { held, total, on_host: onHost } = rows[0]!;
      const refusal = held ? undefined
        : Number(total) >= limits.maxSubscriptions ? `the hub holds ${total} subscriptions, its limit (websub.maxSubscriptions)`
          : Number(onHost) >= limits.maxSubscriptionsPerHost ? `callback host ${host} has ${onHost} subscriptions, the limit per host (websub.maxSubscriptionsPerHost)`
            : undefined;
      if (refusal) {
        await client.query('ROLLBACK');
        return refusal;
      }
      await client.query(
        `INSERT INTO tributary_websub_subscriptions (topic, callback, doc_name, host, secret, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (topic, callback) DO UPDATE SET doc_name = $3, secret = $5, expires_at = $6`,
        [s.topic, s.callback, name, host, s.secret ?? null, new Date(s.expires)],
      );
      await client.query('SELECT pg_notify($1, $2)', [WEBSUB_CHANNEL, '']);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
    this.#index.set(s);
    return undefined;
  }

  /** Ends a subscription, and the content it was owed (the deliveries' rows go with it). */
  async remove(topic: string, callback: string): Promise<void> {
    await this.#o.pool.query(
      `WITH gone AS (DELETE FROM tributary_websub_subscriptions WHERE topic = $1 AND callback = $2 RETURNING 1)
       SELECT pg_notify($3, '') FROM gone`,
      [topic, callback, WEBSUB_CHANNEL],
    );
    this.#index.drop(topic, callback);
  }

  /** Drops ended leases from the mirror now, and from the table in the background. */
  expire(now: Date): number {
    const ended = this.#index.ended(now);
    for (const s of ended) this.#index.drop(s.topic, s.callback);
    if (ended.length > 0) {
      this.#o.pool.query(
        `WITH gone AS (DELETE FROM tributary_websub_subscriptions WHERE expires_at <= $1 RETURNING 1)
         SELECT pg_notify($2, '') FROM gone LIMIT 1`,
        [now, WEBSUB_CHANNEL],
      ).catch((err) => this.#o.warn('could not drop the ended WebSub subscriptions; tried again at the next publication', err));
    }
    return ended.length;
  }

  /** Reads the table again; calls meanwhile share one more read after the current one. */
  refresh(): Promise<void> {
    return this.#reads.run();
  }

  async #read(): Promise<void> {
    const subscriptions = await listSubscriptions(this.#o.pool);
    this.#index.clear();
    for (const s of subscriptions) this.#index.set(s);
  }

  /** Keeps the requests this instance had not verified, for the next instance to start; stops listening. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#listener.close();
    await this.#reads.running;
    const { verifications } = this.pendingWork();
    for (const v of verifications) {
      await this.#o.pool.query(
        `INSERT INTO tributary_websub_verifications (topic, callback, mode, lease_seconds, secret) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (topic, callback) DO UPDATE SET mode = $3, lease_seconds = $4, secret = $5`,
        [v.topic, v.callback, v.mode, v.leaseSeconds, v.secret ?? null],
      );
    }
  }
}

/** Every subscription in the table, ended leases included, as the hub holds them (and `migrate-store` copies them). */
/** The columns of a row of tributary_websub_verifications (a request accepted, not verified yet), as verificationOf reads them. */
export const VERIFICATION_COLUMNS = 'topic, callback, mode, lease_seconds, secret';

export interface VerificationRow {
  topic: string;
  callback: string;
  mode: string;
  lease_seconds: number;
  secret: string | null;
}

export function verificationOf(r: VerificationRow): PendingVerification {
  return {
    mode: r.mode === 'unsubscribe' ? 'unsubscribe' : 'subscribe', topic: r.topic, callback: r.callback,
    leaseSeconds: r.lease_seconds, ...(r.secret !== null ? { secret: r.secret } : {}),
  };
}

export async function listSubscriptions(db: pg.Pool | pg.ClientBase): Promise<Subscription[]> {
  const { rows } = await db.query<Row>('SELECT topic, callback, secret, expires_at FROM tributary_websub_subscriptions');
  return rows.map((r) => ({ topic: r.topic, callback: r.callback, expires: r.expires_at.toISOString(), ...(r.secret !== null ? { secret: r.secret } : {}) }));
}
