import { join } from 'node:path';
import { hostOf } from '../../fetch/host-queue.ts';
import { DurableJsonFile } from '../../store/durable-file.ts';

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
 * The built-in hub's subscriptions, in data/websub.json, so a restart does not silently drop subscribers who
 * would otherwise learn of it only when their lease ran out. Written durably (temp file, fsync, rename), in
 * batches rather than once per change, readable by the owner only, as it holds the subscribers' secrets.
 * Along with them goes the work the hub had not done (`pending`, from `pendingWork()`).
 */
export class SubscriptionStore {
  readonly file: string;
  /** what the last run left undone, as read at open */
  readonly pendingAtOpen: PendingWork;
  /** the hub's undone work at the moment of each write; until the hub sets it, what was read at open */
  pendingWork: () => PendingWork;
  readonly #adapter: DurableJsonFile<SubscriptionFile>;
  readonly #byTopic = new Map<string, Map<string, Subscription>>();
  readonly #perHost = new Map<string, number>();
  readonly #flushMs: number;
  readonly #onWriteError: (err: unknown) => void;
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();

  private constructor(file: string, adapter: DurableJsonFile<SubscriptionFile>, data: SubscriptionFile | null, options: SubscriptionStoreOptions) {
    this.file = file;
    this.#adapter = adapter;
    this.#flushMs = options.flushMs ?? FLUSH_MS;
    this.#onWriteError = options.onWriteError ?? (() => {});
    for (const s of Array.isArray(data?.subscriptions) ? data.subscriptions : []) this.#add(s);
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

  /** Subscriptions held, expired ones not yet dropped included. */
  get size(): number {
    return this.#size;
  }

  /** Subscriptions held whose callback is on `host`. */
  countForHost(host: string): number {
    return this.#perHost.get(host) ?? 0;
  }

  /** Subscriptions whose lease has not ended, optionally of one topic. */
  active(now: Date, topic?: string): Subscription[] {
    const at = now.toISOString();
    const lists = topic === undefined ? [...this.#byTopic.values()] : [this.#byTopic.get(topic) ?? new Map<string, Subscription>()];
    return lists.flatMap((byCallback) => [...byCallback.values()].filter((s) => s.expires > at));
  }

  find(topic: string, callback: string): Subscription | undefined {
    return this.#byTopic.get(topic)?.get(callback);
  }

  /** A new subscription, or a renewed one (same topic and callback: new lease, new secret). */
  put(subscription: Subscription): void {
    this.#drop(subscription.topic, subscription.callback);
    this.#add(subscription);
    this.#changed();
  }

  remove(topic: string, callback: string): void {
    if (this.#drop(topic, callback)) this.#changed();
  }

  /** Forgets subscriptions whose lease ended; returns how many. */
  expire(now: Date): number {
    const at = now.toISOString();
    const ended = [...this.#byTopic.values()].flatMap((byCallback) => [...byCallback.values()].filter((s) => s.expires <= at));
    for (const s of ended) this.#drop(s.topic, s.callback);
    if (ended.length > 0) this.#changed();
    return ended.length;
  }

  #add(s: Subscription): void {
    const byCallback = this.#byTopic.get(s.topic) ?? new Map<string, Subscription>();
    this.#byTopic.set(s.topic, byCallback);
    byCallback.set(s.callback, s);
    this.#size++;
    const host = hostOf(s.callback);
    this.#perHost.set(host, (this.#perHost.get(host) ?? 0) + 1);
  }

  #drop(topic: string, callback: string): boolean {
    const byCallback = this.#byTopic.get(topic);
    if (!byCallback?.delete(callback)) return false;
    if (byCallback.size === 0) this.#byTopic.delete(topic);
    this.#size--;
    const host = hostOf(callback);
    const left = (this.#perHost.get(host) ?? 1) - 1;
    if (left === 0) this.#perHost.delete(host);
    else this.#perHost.set(host, left);
    return true;
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
      const subscriptions = [...this.#byTopic.values()].flatMap((byCallback) => [...byCallback.values()]);
      await this.#adapter.write({ version: 1, subscriptions, pending: this.pendingWork() });
    });
    this.#writing = write.catch(() => {});
    return write;
  }
}
