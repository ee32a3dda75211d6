// The embedded store's deliveries: one process holds every subscription, so a change's deliveries are queued in
// memory (delivery-queue.ts retries them: a minute, ten minutes, an hour) and, when the service stops before they
// are done, written with the subscriptions (websub.json) and resumed at the next start.
import { hostOf } from '../../fetch/host-queue.ts';
import type { Logger } from '../../log.ts';
import type { RenderedFeed } from '../../render/render-feed.ts';
import { sendContent, type ContentOptions } from './content.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import type { HubDeliveries } from './hub.ts';
import type { OutboundOptions } from './request.ts';
import type { HubSubscriptions, PendingDelivery } from './subscriptions.ts';

export interface QueuedDeliveriesOptions {
  hubUrl: string;
  outbound: OutboundOptions;
  /** the current content of a topic, or undefined when the topic is no feed of ours */
  topic: (url: string) => RenderedFeed | undefined;
  store: HubSubscriptions;
  queue: DeliveryQueue;
  now: () => Date;
  log: Logger;
  onDelivery?: (outcome: 'ok' | 'retry' | 'failed') => void;
}

/** A delivery waiting or under way; `changes` counts the changes of its topic asked to be sent. */
interface DeliveryState extends PendingDelivery {
  changes: number;
}

const keyOf = (topic: string, callback: string) => `${topic}\n${callback}`;

export class QueuedDeliveries implements HubDeliveries {
  readonly #o: QueuedDeliveriesOptions;
  readonly #content: ContentOptions;
  readonly #deliveries = new Map<string, DeliveryState>();

  constructor(options: QueuedDeliveriesOptions) {
    this.#o = options;
    this.#content = { hubUrl: options.hubUrl, outbound: options.outbound, log: options.log, ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}) };
  }

  /** §7: sends each changed topic's new content to its subscribers, retrying a failed delivery. */
  distribute(topics: readonly string[]): void {
    for (const topic of topics) {
      for (const subscription of this.#o.store.active(this.#o.now(), topic)) this.#queue(topic, subscription.callback, 0);
    }
  }

  resume(deliveries: readonly PendingDelivery[]): void {
    for (const d of deliveries) this.#queue(d.topic, d.callback, d.attempts);
  }

  pending(): PendingDelivery[] {
    return [...this.#deliveries.values()].map(({ topic, callback, attempts }) => ({ topic, callback, attempts }));
  }

  #queue(topic: string, callback: string, attemptsBefore: number): void {
    const key = keyOf(topic, callback);
    const state = this.#deliveries.get(key) ?? { topic, callback, attempts: attemptsBefore, changes: 0 };
    this.#deliveries.set(key, state);
    state.changes++;
    // Forgotten once a send that began after the last change is done with: a change during a send is sent again.
    let sentChange = 0;
    const forget = () => {
      if (this.#deliveries.get(key) === state && state.changes === sentChange) this.#deliveries.delete(key);
    };
    // Merged into a waiting task of the same pair, or the queue is closed: the state stays, to be written.
    this.#o.queue.add({
      host: hostOf(callback), key: `deliver ${key}`, firstAttempt: attemptsBefore + 1,
      attempt: async (attemptNo, signal) => {
        sentChange = state.changes;
        const outcome = await this.#deliver(topic, callback, attemptNo, signal);
        if (outcome === 'aborted') return false; // kept for the next start
        if (outcome === 'done') forget();
        else state.attempts = attemptNo;
        return outcome === 'done';
      },
      onGiveUp: () => {
        forget();
        this.#o.onDelivery?.('failed');
        this.#o.log.error({ topic, callback }, 'WebSub delivery given up');
      },
    });
  }

  /** The content as it is at the attempt (a retry sends the newest), to a subscription still active then. */
  #deliver(topic: string, callback: string, attemptNo: number, signal: AbortSignal): Promise<'done' | 'failed' | 'aborted'> | 'done' {
    const subscription = this.#o.store.find(topic, callback);
    const feed = this.#o.topic(topic);
    if (!subscription || subscription.expires <= this.#o.now().toISOString() || !feed) return 'done';
    return sendContent({ topic, callback, ...(subscription.secret ? { secret: subscription.secret } : {}) }, feed, this.#content, attemptNo, signal);
  }
}
