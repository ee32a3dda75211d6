import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
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

interface SubscriptionFile {
  version: 1;
  subscriptions: Subscription[];
}

/**
 * The built-in hub's subscriptions, in data/websub.json, so a restart does not silently drop subscribers who
 * would otherwise learn of it only when their lease ran out. Written durably (the store's adapter), readable
 * by the owner only, as it holds the subscribers' secrets.
 */
export class SubscriptionStore {
  readonly file: string;
  readonly #db: Low<SubscriptionFile>;
  #writes: Promise<void> = Promise.resolve();

  private constructor(db: Low<SubscriptionFile>, file: string) {
    this.#db = db;
    this.file = file;
  }

  static async open(dataDir: string): Promise<SubscriptionStore> {
    const file = join(dataDir, 'websub.json');
    const db = new Low<SubscriptionFile>(new DurableJsonFile<SubscriptionFile>(file), { version: 1, subscriptions: [] });
    await db.read();
    if (!Array.isArray(db.data?.subscriptions)) db.data = { version: 1, subscriptions: [] };
    return new SubscriptionStore(db, file);
  }

  /** Subscriptions whose lease has not ended, optionally of one topic. */
  active(now: Date, topic?: string): Subscription[] {
    const at = now.toISOString();
    return this.#db.data.subscriptions.filter((s) => s.expires > at && (topic === undefined || s.topic === topic));
  }

  find(topic: string, callback: string): Subscription | undefined {
    return this.#db.data.subscriptions.find((s) => s.topic === topic && s.callback === callback);
  }

  /** A new subscription, or a renewed one (same topic and callback: new lease, new secret). */
  put(subscription: Subscription): Promise<void> {
    this.#drop(subscription.topic, subscription.callback);
    this.#db.data.subscriptions.push(subscription);
    return this.#save();
  }

  remove(topic: string, callback: string): Promise<void> {
    return this.#drop(topic, callback) ? this.#save() : Promise.resolve();
  }

  /** Forgets subscriptions whose lease ended; returns how many. */
  async expire(now: Date): Promise<number> {
    const at = now.toISOString();
    const before = this.#db.data.subscriptions.length;
    this.#db.data.subscriptions = this.#db.data.subscriptions.filter((s) => s.expires > at);
    const dropped = before - this.#db.data.subscriptions.length;
    if (dropped > 0) await this.#save();
    return dropped;
  }

  #drop(topic: string, callback: string): boolean {
    const before = this.#db.data.subscriptions.length;
    this.#db.data.subscriptions = this.#db.data.subscriptions.filter((s) => !(s.topic === topic && s.callback === callback));
    return this.#db.data.subscriptions.length !== before;
  }

  /** One write at a time, each of the state at its turn. */
  #save(): Promise<void> {
    const write = this.#writes.then(async () => {
      await this.#db.write();
      await chmod(this.file, 0o600);
    });
    this.#writes = write.catch(() => {});
    return write;
  }
}
