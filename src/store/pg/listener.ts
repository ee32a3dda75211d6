// One LISTEN connection to PostgreSQL that comes back by itself: what the followers of the rendered documents
// (follower.ts) and of the WebSub subscriptions (websub-subscriptions.ts) hear changes on. A lost connection is
// warned about and made again after 1 s, doubling up to 30 s; once it is back, onReconnect runs, since what changed
// while it was down came with no notification. The owners' periodic checks cover that time.
import pg from 'pg';

export interface PgListenerOptions {
  url: string;
  channel: string;
  /** application_name of the connection, as pg_stat_activity shows it */
  name: string;
  onNotify: (payload: string | undefined) => void;
  onReconnect: () => void;
  warn: (message: string, err?: unknown) => void;
  /** the first wait before connecting again (ms; default 1 s) */
  reconnectMs?: number;
}

const MAX_RECONNECT_MS = 30_000;

export class PgListener {
  readonly #o: PgListenerOptions;
  #client: pg.Client | undefined;
  #closed = false;
  #wait: number;

  constructor(options: PgListenerOptions) {
    this.#o = options;
    this.#wait = options.reconnectMs ?? 1_000;
  }

  /** whether the connection is up (when not, the owner's periodic check still brings changes) */
  get listening(): boolean {
    return this.#client !== undefined;
  }

  /** Connects and listens; throws when that fails (see connectOrRetry). */
  async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#o.url, application_name: this.#o.name });
    const lost = (err?: unknown) => {
      if (this.#client !== client) return;
      this.#client = undefined;
      if (this.#closed) return;
      this.#o.warn(`lost the LISTEN connection (${this.#o.channel}) to PostgreSQL; connecting again`, err);
      this.#reconnectLater();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', (message) => {
      if (message.channel === this.#o.channel) this.#o.onNotify(message.payload);
    });
    await client.connect();
    await client.query(`LISTEN ${this.#o.channel}`);
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#wait = this.#o.reconnectMs ?? 1_000;
  }

  /** connect(), and when it fails, a warning and tries again later instead of an error. */
  async connectOrRetry(): Promise<void> {
    await this.connect().catch((err) => {
      this.#o.warn(`could not LISTEN (${this.#o.channel}) to PostgreSQL; trying again`, err);
      this.#reconnectLater();
    });
  }

  #reconnectLater(): void {
    const wait = this.#wait;
    this.#wait = Math.min(this.#wait * 2, MAX_RECONNECT_MS);
    setTimeout(() => {
      if (this.#closed) return;
      this.connect()
        .then(() => this.#o.onReconnect())
        .catch((err) => {
          this.#o.warn(`could not LISTEN (${this.#o.channel}) to PostgreSQL; trying again`, err);
          this.#reconnectLater();
        });
    }, wait).unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }
}
