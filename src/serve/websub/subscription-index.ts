// The built-in hub's subscriptions in memory, by topic and callback, with a count per callback host: what the
// hub's caps and lookups read on the request path. Held by the file store (subscriptions.ts) and by the PostgreSQL
// store's mirror of its table (store/pg/websub-subscriptions.ts), so both answer the same way.
import { hostOf } from '../../fetch/host-queue.ts';
import type { Subscription } from './subscriptions.ts';

export class SubscriptionIndex {
  readonly #byTopic = new Map<string, Map<string, Subscription>>();
  readonly #perHost = new Map<string, number>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  countForHost(host: string): number {
    return this.#perHost.get(host) ?? 0;
  }

  find(topic: string, callback: string): Subscription | undefined {
    return this.#byTopic.get(topic)?.get(callback);
  }

  /** Subscriptions whose lease has not ended, optionally of one topic. */
  active(now: Date, topic?: string): Subscription[] {
    const at = now.toISOString();
    const lists = topic === undefined ? [...this.#byTopic.values()] : [this.#byTopic.get(topic) ?? new Map<string, Subscription>()];
    return lists.flatMap((byCallback) => [...byCallback.values()].filter((s) => s.expires > at));
  }

  all(): Subscription[] {
    return [...this.#byTopic.values()].flatMap((byCallback) => [...byCallback.values()]);
  }

  /** Those whose lease ended at `now`. */
  ended(now: Date): Subscription[] {
    const at = now.toISOString();
    return this.all().filter((s) => s.expires <= at);
  }

  /** Adds or replaces the subscription of its topic and callback. */
  set(s: Subscription): void {
    this.drop(s.topic, s.callback);
    const byCallback = this.#byTopic.get(s.topic) ?? new Map<string, Subscription>();
    this.#byTopic.set(s.topic, byCallback);
    byCallback.set(s.callback, s);
    this.#size++;
    const host = hostOf(s.callback);
    this.#perHost.set(host, (this.#perHost.get(host) ?? 0) + 1);
  }

  drop(topic: string, callback: string): boolean {
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

  clear(): void {
    this.#byTopic.clear();
    this.#perHost.clear();
    this.#size = 0;
  }
}
