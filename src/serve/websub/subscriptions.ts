import { join } from 'node:path';
import { DurableJsonFile } from '../../store/durable-file.ts';
import type { HubLimits } from './hub.ts';
import { SubscriptionIndex } from './subscription-index.ts';

/** One verified subscription of the built-in hub. */
export interface Subscription {
  /** a feed URL of this service */
  topic: string;
  callback: string;
  /** HMAC key for X-Hub-Signature, when the subscriber gave one */
  secret?: string;
  /** ISO 8601: the lease ends then, and content stops */
  expires: string;
}

/** A subscription request accepted (202) and not yet verified. */
export interface PendingVerification {
  mode: 'subscribe' | 'unsubscribe';
  topic: string;
  callback: string;
  leaseSeconds: number;
  secret?: string;
}

/** Content a subscriber has not received yet; the current content of the topic is sent. */
export interface PendingDelivery {
  topic: string;
  callback: string;
  /** failed attempts so far, so the retries of a carried-over delivery still end */
  attempts: number;
}

/** The work the hub had not done when it stopped, done at the next start. */
export interface PendingWork {
  verifications: PendingVerification[];
  deliveries: PendingDelivery[];
}

interface SubscriptionFile {
  version: 1;
  subscriptions: Subscription[];
  pending?: PendingWork;
}

export interface SubscriptionStoreOptions {
  /** changes are written together, at most this often (and at close) */
  flushMs?: number;
  /** a background write failed; the next change or close tries again */
  onWriteError?: (err: unknown) => void;
}

/** Two seconds of changes per write: a burst of verifications is one write, and a crash loses at most that. */
export const FLUSH_MS = 2000;

/**
 * Where the built-in hub keeps its subscriptions: a file of one process (SubscriptionStore, below), or the PostgreSQL
 * store's table shared by every instance (store/pg/websub-subscriptions.ts). The reads are synchronous, on the
 * request path (caps, lookups): a shared store answers them from its mirror in memory.
 */
export interface HubSubscriptions {
  /** what the last run left undone, as read at open */
  readonly pendingAtOpen: PendingWork;
  /** the hub's undone work, kept at each write or at close */
  pendingWork: () => PendingWork;
  /** subscriptions held, expired ones not yet dropped included */
  readonly size: number;
  countForHost(host: string): number;
  active(now: Date, topic?: string): Subscription[];
  find(topic: string, callback: string): Subscription | undefined;
  /**
   * A new subscription, or a renewed one (same topic and callback: new lease, new secret). A shared store checks the
   * caps again where every instance's subscriptions meet, and resolves with why it did not keep a new one.
   */
  put(subscription: Subscription, limits: HubLimits): void | Promise<string | undefined>;
  remove(topic: string, callback: string): void | Promise<void>;
  /** Forgets subscriptions whose lease ended; returns how many. */
  expire(now: Date): number;
}

/**
 * The built-in hub's subscriptions, in data/websub.json, so a restart does not silently drop subscribers who
 * would otherwise learn of it only when their lease ran out. Written durably (temp file, fsync, rename), in
 * batches rather than once per change, readable by the owner only, as it holds the subscribers' secrets.
 * Along with them goes the work the hub had not done (`pending`, from `pendingWork()`).
 */
export class SubscriptionStore implements HubSubscriptions {
  readonly file: string;
  readonly pendingAtOpen: PendingWork;
  /** the hub's undone work at the moment of each write; until the hub sets it, what was read at open */
  pendingWork: () => PendingWork;
  readonly #adapter: DurableJsonFile<SubscriptionFile>;
  readonly #index = new SubscriptionIndex();
  readonly #flushMs: number;
  readonly #onWriteError: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, adapter: DurableJsonFile<SubscriptionFile>, data: SubscriptionFile | null, options: SubscriptionStoreOptions) {
    this.file = file;
    this.#adapter = adapter;
    this.#flushMs = options.flushMs ?? FLUSH_MS;
    this.#onWriteError = options.onWriteError ?? (() => {});
    for (const s of Array.isArray(data?.subscriptions) ? data.subscriptions : []) this.#index.set(s);
    const pending = data?.pending;
    this.pendingAtOpen = {
      verifications: Array.isArray(pending?.verifications) ? pending.verifications : [],
      deliveries: Array.isArray(pending?.deliveries) ? pending.deliveries : [],
    };
    this.pendingWork = () => this.pendingAtOpen;
  }

  static async open(dataDir: string, options: SubscriptionStoreOptions = {}): Promise<SubscriptionStore> {
    const file = join(dataDir, 'websub.json');
    const adapter = new DurableJsonFile<SubscriptionFile>(file, { mode: 0o600 });
    return new SubscriptionStore(file, adapter, await adapter.read(), options);
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

  /** Every subscription held, ended leases included (`tributary migrate-store` reads them). */
  all(): Subscription[] {
    return this.#index.all();
  }

  /** The caps were checked when the request was taken: one process holds every subscription and request. */
  put(subscription: Subscription): void {
    this.#index.set(subscription);
    this.#changed();
  }

  remove(topic: string, callback: string): void {
    if (this.#index.drop(topic, callback)) this.#changed();
  }

  expire(now: Date): number {
    const ended = this.#index.ended(now);
    for (const s of ended) this.#index.drop(s.topic, s.callback);
    if (ended.length > 0) this.#changed();
    return ended.length;
  }

  /** The first change after a write starts the clock; everything changed until it runs goes in one write. */
  #changed(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush().catch(this.#onWriteError);
    }, this.#flushMs);
    // close() writes what is left; a pending batch must not keep a finished process alive.
    this.#timer.unref();
  }

  /** Writes the current state now; one write at a time, each of the state at its turn. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const write = this.#writing.then(async () => {
      await this.#adapter.write({ version: 1, subscriptions: this.#index.all(), pending: this.pendingWork() });
    });
    this.#writing = write.catch(() => {});
    return write;
  }
}
