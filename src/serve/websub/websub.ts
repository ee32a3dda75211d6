// WebSub for the service, both roles: a publisher that pings the configured hub (websub.hub), and, when
// websub.builtin is set, a hub of its own at /websub. fetch-cycle.ts calls published() after each render that
// changed feeds; nothing here runs when neither key is set.
import type { Config } from '../../config/types.ts';
import type { Logger } from '../../log.ts';
import type { RenderedFeed } from '../../render/render-feed.ts';
import { HUB_PATH } from '../server.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { WebSubHub } from './hub.ts';
import { pingHub } from './publisher.ts';
import { SubscriptionStore } from './subscriptions.ts';
import { topicContent, type TopicFeeds } from './topics.ts';

export interface WebSubConfig {
  hub?: string;
  builtin: boolean;
}

export interface WebSubOptions {
  config: WebSubConfig;
  baseUrl: string;
  dataDir: string;
  log: Logger;
  now: () => Date;
  fetch?: typeof globalThis.fetch;
  timeoutMs: number;
  userAgent: string;
  /** current content of one of our topic URLs */
  topic: (url: string) => RenderedFeed | undefined;
  onPing?: (ok: boolean) => void;
  onDelivery?: (outcome: 'ok' | 'retry' | 'failed') => void;
  /** waits between attempts of a ping or a delivery */
  retryDelaysMs?: readonly number[];
}

/** What the service gives WebSub once it exists: its feeds, and the metrics of pings and deliveries. */
export interface WebSubHost {
  feeds: TopicFeeds;
  metrics: { observePing(ok: boolean): void; observeDelivery(outcome: 'ok' | 'retry' | 'failed'): void };
}

export interface ServiceWebSubOptions {
  config: Config;
  dataDir: string;
  logger: Logger;
  now?: () => Date;
  fetch?: typeof globalThis.fetch;
  userAgent: string;
  websubRetryDelaysMs?: readonly number[];
}

/** WebSub as the service's config asks for it; `host` is read only after open, once the service exists. */
export function openWebSub(options: ServiceWebSubOptions, host: () => WebSubHost): Promise<WebSub> {
  const { config } = options;
  return WebSub.open({
    config: config.websub, baseUrl: config.baseUrl, dataDir: options.dataDir, log: options.logger,
    now: options.now ?? (() => new Date()), timeoutMs: config.fetch.timeoutMs, userAgent: options.userAgent,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.websubRetryDelaysMs ? { retryDelaysMs: options.websubRetryDelaysMs } : {}),
    topic: (url) => topicContent(config.baseUrl, host().feeds, url),
    onPing: (ok) => host().metrics.observePing(ok),
    onDelivery: (outcome) => host().metrics.observeDelivery(outcome),
  });
}

/** A minute, ten minutes, an hour: a subscriber or hub that is down for a deploy still gets the change. */
const RETRY_DELAYS_MS = [60_000, 600_000, 3_600_000];

export class WebSub {
  readonly hub: WebSubHub | undefined;
  readonly #options: WebSubOptions;
  readonly #queue: DeliveryQueue;

  private constructor(options: WebSubOptions, queue: DeliveryQueue, hub: WebSubHub | undefined) {
    this.#options = options;
    this.#queue = queue;
    this.hub = hub;
  }

  static async open(options: WebSubOptions): Promise<WebSub> {
    const queue = new DeliveryQueue(options.retryDelaysMs ?? RETRY_DELAYS_MS);
    const outbound = { fetch: options.fetch ?? globalThis.fetch, timeoutMs: options.timeoutMs, userAgent: options.userAgent };
    const hub = options.config.builtin
      ? new WebSubHub({
        ...outbound, url: `${options.baseUrl}${HUB_PATH}`, topic: options.topic, store: await SubscriptionStore.open(options.dataDir),
        queue, now: options.now, log: options.log, ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}),
      })
      : undefined;
    return new WebSub(options, queue, hub);
  }

  /** The hubs every feed advertises with rel="hub". */
  hubs(): string[] {
    return [...(this.#options.config.hub ? [this.#options.config.hub] : []), ...(this.hub ? [this.hub.url] : [])];
  }

  /** After a render: the changed topics go to the hub (a ping) and to the built-in hub's subscribers. */
  async published(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const o = this.#options;
    if (o.config.hub) {
      pingHub(topics, {
        hub: o.config.hub, queue: this.#queue, log: o.log, fetch: o.fetch ?? globalThis.fetch, timeoutMs: o.timeoutMs, userAgent: o.userAgent,
        ...(o.onPing ? { onPing: o.onPing } : {}),
      });
    }
    await this.hub?.distribute(topics);
  }

  /** Resolves when every ping, verification and delivery under way (retries included) has ended. */
  settled(): Promise<void> {
    return this.#queue.settled();
  }

  status(): { hubs: string[]; builtin?: { url: string; subscriptions: number } } {
    return { hubs: this.hubs(), ...(this.hub ? { builtin: this.hub.status() } : {}) };
  }

  /** Drops waiting retries and waits for the requests in flight. */
  close(): Promise<void> {
    return this.#queue.close();
  }
}
