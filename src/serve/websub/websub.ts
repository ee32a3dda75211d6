// WebSub for the service, both roles: a publisher that pings the configured hub (websub.hub), and, when
// websub.builtin is set, a hub of its own at /websub. fetch-cycle.ts calls published() after each render that
// changed feeds; nothing here runs when neither key is set.
import { fetch as undiciFetch, type Agent } from 'undici';
import { AddressPolicy, publicAddressesFromEnv } from '../../fetch/address-policy.ts';
import { createGuardedAgent } from '../../fetch/guarded-agent.ts';
import type { FetchFunction } from '../../fetch/fetch-source.ts';
import { hostOf } from '../../fetch/host-queue.ts';
import type { Config, WebSubSettings } from '../../config/types.ts';
import type { Logger } from '../../log.ts';
import type { RenderedFeed } from '../../render/render-feed.ts';
import { HUB_PATH } from '../server.ts';
import { ClientRateLimit } from './client-rate.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { WebSubHub, type HubDeliveries } from './hub.ts';
import { pingHub } from './publisher.ts';
import { QueuedDeliveries } from './queued-deliveries.ts';
import type { OutboundOptions } from './request.ts';
import { SubscriptionStore, type HubSubscriptions } from './subscriptions.ts';
import { topicContent, type TopicFeeds } from './topics.ts';

/** What a hub's storage is given to reach subscribers: the same limits and guard for every store. */
export interface HubParts {
  hubUrl: string;
  /** callbacks' requests: guarded agent, address policy, websub.timeoutSeconds */
  outbound: OutboundOptions;
  queue: DeliveryQueue;
  retryDelaysMs: readonly number[];
  now: () => Date;
  log: Logger;
  onDelivery?: (outcome: 'ok' | 'retry' | 'failed') => void;
}

/** Where the built-in hub keeps its subscriptions and how it delivers; `close` keeps what is not done. */
export interface HubStorage {
  store: HubSubscriptions;
  deliveries: HubDeliveries;
  /** starts background work, once the hub can answer for its topics */
  start?(): void;
  close(): Promise<void>;
}

export interface WebSubOptions {
  config: WebSubSettings;
  baseUrl: string;
  dataDir: string;
  log: Logger;
  now: () => Date;
  fetch?: FetchFunction;
  /** the configured hub's requests (websub.hub: the operator's choice, not a stranger's) */
  timeoutMs: number;
  /** the configured connect timeout; a callback's is never longer than its whole request */
  connectTimeoutMs: number;
  userAgent: string;
  /** current content of one of our topic URLs */
  topic: (url: string) => RenderedFeed | undefined;
  onPing?: (ok: boolean) => void;
  onDelivery?: (outcome: 'ok' | 'retry' | 'failed') => void;
  /** waits between attempts of a ping or a delivery */
  retryDelaysMs?: readonly number[];
  /** address ranges that count as public (TRIBUTARY_PUBLIC_ADDRESSES; tests only) */
  treatAsPublic?: readonly string[];
  /** whether a topic URL names a feed of ours (default: `topic` has content for it) */
  isTopic?: (url: string) => boolean;
  /** the built-in hub's storage (default: data/websub.json and deliveries queued in memory) */
  hubStorage?: (parts: HubParts) => Promise<HubStorage>;
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
  fetch?: FetchFunction;
  userAgent: string;
  websubRetryDelaysMs?: readonly number[];
  /** the built-in hub's storage (default: data/websub.json) */
  hubStorage?: (parts: HubParts) => Promise<HubStorage>;
  /** whether a topic URL names a feed of ours (default: the feeds have content for it) */
  isTopic?: (url: string) => boolean;
}

/** WebSub as the service's config asks for it; `host` is read only after open, once the service exists. */
export function openWebSub(options: ServiceWebSubOptions, host: () => WebSubHost): Promise<WebSub> {
  const { config } = options;
  return WebSub.open({
    config: config.websub, baseUrl: config.baseUrl, dataDir: options.dataDir, log: options.logger,
    now: options.now ?? (() => new Date()), timeoutMs: config.fetch.timeoutMs, connectTimeoutMs: config.fetch.connectTimeoutMs,
    userAgent: options.userAgent, treatAsPublic: publicAddressesFromEnv(),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.websubRetryDelaysMs ? { retryDelaysMs: options.websubRetryDelaysMs } : {}),
    ...(options.hubStorage ? { hubStorage: options.hubStorage } : {}), ...(options.isTopic ? { isTopic: options.isTopic } : {}),
    topic: (url) => topicContent(config.baseUrl, host().feeds, url),
    onPing: (ok) => host().metrics.observePing(ok),
    onDelivery: (outcome) => host().metrics.observeDelivery(outcome),
  });
}

/** A minute, ten minutes, an hour: a subscriber or hub that is down for a deploy still gets the change. */
const RETRY_DELAYS_MS = [60_000, 600_000, 3_600_000];
/**
 * Requests in flight at once, and to one host: a render that changed forty feeds does not hit a hub with 120
 * at once, and a host whose callbacks never answer holds two slots while the other six serve everyone else.
 */
const MAX_IN_FLIGHT = 8;
const PER_HOST = 2;

export class WebSub {
  readonly hub: WebSubHub | undefined;
  readonly #options: WebSubOptions;
  readonly #queue: DeliveryQueue;
  readonly #storage: HubStorage | undefined;
  readonly #agent: Agent | undefined;
  #stopping: Promise<void> | undefined;

  private constructor(options: WebSubOptions, queue: DeliveryQueue, built?: { hub: WebSubHub; storage: HubStorage; agent: Agent }) {
    this.#options = options;
    this.#queue = queue;
    this.hub = built?.hub;
    this.#storage = built?.storage;
    this.#agent = built?.agent;
  }

  static async open(options: WebSubOptions): Promise<WebSub> {
    const retryDelaysMs = options.retryDelaysMs ?? RETRY_DELAYS_MS;
    const queue = new DeliveryQueue({ retryDelaysMs, maxInFlight: MAX_IN_FLIGHT, perHost: PER_HOST });
    const { config, log } = options;
    if (!config.builtin) return new WebSub(options, queue);
    const policy = new AddressPolicy({
      allow: config.allowPrivateCallbacks, setting: 'websub.allowPrivateCallbacks', treatAsPublic: options.treatAsPublic ?? [],
    });
    const agent = createGuardedAgent(policy, Math.min(options.connectTimeoutMs, config.timeoutMs));
    const outbound: OutboundOptions = { fetch: options.fetch ?? undiciFetch, timeoutMs: config.timeoutMs, userAgent: options.userAgent, dispatcher: agent, policy };
    const parts: HubParts = {
      hubUrl: `${options.baseUrl}${HUB_PATH}`, outbound, queue, retryDelaysMs, now: options.now, log,
      ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}),
    };
    let storage: HubStorage;
    try {
      storage = await (options.hubStorage ?? fileStorage(options))(parts);
    } catch (err) {
      await agent.destroy();
      throw err;
    }
    const hub = new WebSubHub({
      ...outbound, url: parts.hubUrl, isTopic: options.isTopic ?? ((url) => options.topic(url) !== undefined),
      store: storage.store, deliveries: storage.deliveries, queue, now: options.now, log,
      rate: new ClientRateLimit(config.requestsPerMinute),
      limits: { maxSubscriptions: config.maxSubscriptions, maxSubscriptionsPerHost: config.maxSubscriptionsPerHost },
    });
    return new WebSub(options, queue, { hub, storage, agent });
  }

  /** Starts the work the last run left undone; once the service can answer for its topics. */
  start(): void {
    this.hub?.resume();
    this.#storage?.start?.();
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
        hub: o.config.hub, hubHost: hostOf(o.config.hub), queue: this.#queue, log: o.log, fetch: o.fetch ?? undiciFetch, timeoutMs: o.timeoutMs, userAgent: o.userAgent,
        ...(o.onPing ? { onPing: o.onPing } : {}),
      });
    }
    await this.hub?.distribute(topics);
  }

  /** Resolves when every ping, verification and delivery under way (retries included) has ended. */
  settled(): Promise<void> {
    return this.#queue.settled();
  }

  /** Resolves when no request is queued or in flight (retries waiting do not count). */
  idle(): Promise<void> {
    return this.#queue.idle();
  }

  status(): { hubs: string[]; builtin?: { url: string; subscriptions: number } } {
    return { hubs: this.hubs(), ...(this.hub ? { builtin: this.hub.status() } : {}) };
  }

  /**
   * First half of shutdown: the hub takes no more requests, no queued request starts, retries waiting are
   * dropped; requests in flight get `graceMs`, then are aborted. Work not done stays the hub's, for close().
   */
  stop(graceMs = Infinity): Promise<void> {
    this.#stopping ??= this.#stop(graceMs);
    return this.#stopping;
  }

  async #stop(graceMs: number): Promise<void> {
    this.hub?.stop();
    const unfinished = await this.#queue.close(graceMs);
    if (unfinished > 0) {
      this.#options.log.info({ unfinished }, this.hub
        ? 'WebSub: work left undone is kept for the next start (hub pings are not: the hub learns of changes at its next poll)'
        : 'WebSub: hub pings left unsent; the hub learns of the changes at its next poll');
    }
    await this.#agent?.destroy();
  }

  /** Stops (see stop) and writes the subscriptions with the work not done, which the next start resumes. */
  async close(graceMs = Infinity): Promise<void> {
    await this.stop(graceMs);
    await this.#storage?.close();
  }
}

/** The embedded store's hub: subscriptions in data/websub.json, deliveries queued in memory. */
function fileStorage(options: WebSubOptions): (parts: HubParts) => Promise<HubStorage> {
  return async (parts) => {
    const store = await SubscriptionStore.open(options.dataDir, {
      onWriteError: (err) => parts.log.error({ err }, 'writing the WebSub subscriptions failed; retried at the next change'),
    });
    const deliveries = new QueuedDeliveries({ ...parts, topic: options.topic, store });
    return { store, deliveries, close: () => store.flush() };
  };
}
