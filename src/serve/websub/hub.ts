// A WebSub hub (W3C Recommendation, 2018) for this service's own feeds: subscription requests with
// verification of intent (§5.3), leases, and content distribution (§7) signed with the subscriber's secret.
//
// Anyone may call a hub, and the hub then makes requests to URLs they chose: so a callback must not name the
// private network (address-policy.ts, checked again on the address each request connects to), a client may
// call only so often (client-rate.ts), the subscriptions are capped in total and per callback host, and the
// requests run fair across hosts (delivery-queue.ts) so one host's dead callbacks cannot hold up another's.
//
// Where the subscriptions live and how content reaches them is the store's: a file and a queue in memory for one
// process (subscriptions.ts, queued-deliveries.ts), a table and leased deliveries for instances sharing PostgreSQL
// (store/pg/websub-subscriptions.ts, leased-deliveries.ts). Requests and verification are the same for both.
import { randomBytes } from 'node:crypto';
import { hostOf } from '../../fetch/host-queue.ts';
import type { Logger } from '../../log.ts';
import type { HubAnswer } from '../server.ts';
import type { ClientRateLimit } from './client-rate.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { WebSubRequestError } from './errors.ts';
import { isSuccess, websubRequest, type OutboundOptions } from './request.ts';
import type { HubSubscriptions, PendingDelivery, PendingVerification, PendingWork } from './subscriptions.ts';

export const DEFAULT_LEASE_SECONDS = 10 * 86_400;
export const MIN_LEASE_SECONDS = 60;
export const MAX_LEASE_SECONDS = 30 * 86_400;

export interface HubLimits {
  maxSubscriptions: number;
  maxSubscriptionsPerHost: number;
}

export interface HubOptions extends OutboundOptions {
  /** this hub's public URL, sent in the Link header of every distribution */
  url: string;
  /** whether a topic URL names a feed of ours (a query never does) */
  isTopic: (url: string) => boolean;
  store: HubSubscriptions;
  deliveries: HubDeliveries;
  /** verifications go through it, fair across callback hosts */
  queue: DeliveryQueue;
  rate: ClientRateLimit;
  limits: HubLimits;
  now: () => Date;
  log: Logger;
}

/** How a change's content reaches the subscribers of its topics. */
export interface HubDeliveries {
  /** the topics whose content changed */
  distribute(topics: readonly string[]): void | Promise<void>;
  /** what the last run left undone, to do now */
  resume(deliveries: readonly PendingDelivery[]): void;
  /** what is not done, kept with the subscriptions for the next start */
  pending(): PendingDelivery[];
}

const keyOf = (topic: string, callback: string) => `${topic}\n${callback}`;

export class WebSubHub {
  readonly #o: HubOptions;
  /** accepted requests not yet verified, by topic and callback: the newest request of a pair wins */
  readonly #verifications = new Map<string, PendingVerification>();
  readonly #verifyingPerHost = new Map<string, number>();
  #stopped = false;
  #resumed = false;

  constructor(options: HubOptions) {
    this.#o = options;
    options.store.pendingWork = () => this.pendingWork();
  }

  get url(): string {
    return this.#o.url;
  }

  /** Queues what the last run left undone; called once the service can answer for its topics. */
  resume(): void {
    if (this.#resumed) return;
    this.#resumed = true;
    const { verifications, deliveries } = this.#o.store.pendingAtOpen;
    for (const v of verifications) this.#queueVerification(v);
    this.#o.deliveries.resume(deliveries);
    if (verifications.length + deliveries.length > 0) {
      this.#o.log.info({ verifications: verifications.length, deliveries: deliveries.length }, 'WebSub: resuming the work the last run left');
    }
  }

  /** A subscriber's POST: 202 and verification in the background, or 4xx naming what is wrong (§5.1). */
  request(form: URLSearchParams, client: string): HubAnswer {
    const wait = this.#o.rate.take(client);
    if (wait !== undefined) return { status: 429, message: `too many hub requests from ${client}; retry in ${wait} s`, retryAfterSeconds: wait };
    if (this.#stopped) return { status: 503, message: 'the hub is shutting down; retry in a minute', retryAfterSeconds: 60 };
    const parsed = parse(this.#o.isTopic, form);
    if (typeof parsed === 'string') return { status: 400, message: parsed };
    const refusal = this.#o.policy?.refusalForUrl(new URL(parsed.callback));
    if (refusal) return { status: 403, message: `hub.callback refused: ${refusal.message}` };
    const full = this.#capReached(parsed);
    if (full) return { status: 403, message: full };
    this.#queueVerification(parsed);
    return { status: 202, message: `accepted: verifying intent with ${parsed.callback}` };
  }

  /** Why a request for a pair the hub holds nothing of would go over a cap, else undefined. */
  #capReached(req: PendingVerification): string | undefined {
    const key = keyOf(req.topic, req.callback);
    if (this.#verifications.has(key) || this.#o.store.find(req.topic, req.callback)) return undefined;
    const host = hostOf(req.callback);
    const { maxSubscriptions, maxSubscriptionsPerHost } = this.#o.limits;
    const total = () => this.#o.store.size + this.#verifications.size;
    const onHost = () => this.#o.store.countForHost(host) + (this.#verifyingPerHost.get(host) ?? 0);
    // Ended leases still count until the next distribution drops them: drop them now before refusing.
    if (total() >= maxSubscriptions || onHost() >= maxSubscriptionsPerHost) this.#o.store.expire(this.#o.now());
    if (total() >= maxSubscriptions) return `the hub holds ${total()} subscriptions and requests, its limit (websub.maxSubscriptions)`;
    if (onHost() >= maxSubscriptionsPerHost) return `callback host ${host} has ${onHost()} subscriptions and requests, the limit per host (websub.maxSubscriptionsPerHost)`;
    return undefined;
  }

  #queueVerification(req: PendingVerification): void {
    const key = keyOf(req.topic, req.callback);
    const host = hostOf(req.callback);
    if (!this.#verifications.has(key)) this.#verifyingPerHost.set(host, (this.#verifyingPerHost.get(host) ?? 0) + 1);
    this.#verifications.set(key, req);
    // Closed (shutting down): the request stays in #verifications and is written for the next start.
    this.#o.queue.add({
      host, key: `verify ${key}`,
      attempt: async (_attemptNo, signal) => {
        const current = this.#verifications.get(key);
        if (!current) return true;
        const outcome = await this.#verify(current, signal);
        if (outcome === 'aborted') return false; // kept for the next start
        if (this.#verifications.get(key) === current) this.#forgetVerification(key, host);
        return true; // an unconfirmed intent is not retried: the subscriber asks again
      },
    });
  }

  #forgetVerification(key: string, host: string): void {
    this.#verifications.delete(key);
    const left = (this.#verifyingPerHost.get(host) ?? 1) - 1;
    if (left === 0) this.#verifyingPerHost.delete(host);
    else this.#verifyingPerHost.set(host, left);
  }

  /** §5.3: the callback must echo a random challenge, so nobody can subscribe a URL that did not ask. */
  async #verify(req: PendingVerification, signal: AbortSignal): Promise<'verified' | 'refused' | 'aborted'> {
    const challenge = randomBytes(24).toString('base64url');
    const url = new URL(req.callback);
    url.searchParams.set('hub.mode', req.mode);
    url.searchParams.set('hub.topic', req.topic);
    url.searchParams.set('hub.challenge', challenge);
    if (req.mode === 'subscribe') url.searchParams.set('hub.lease_seconds', String(req.leaseSeconds));
    const fields = { mode: req.mode, topic: req.topic, callback: req.callback };
    try {
      const answer = await websubRequest(url.href, { method: 'GET' }, this.#o, signal);
      if (!isSuccess(answer.status) || answer.body.trim() !== challenge) {
        throw new WebSubRequestError(req.callback, `intent not confirmed (HTTP ${answer.status}, challenge ${answer.body.trim() === challenge ? 'echoed' : 'not echoed'})`, { status: answer.status });
      }
    } catch (err) {
      if (signal.aborted) return 'aborted';
      this.#o.log.warn({ ...fields, error: (err as Error).message }, 'WebSub subscription not verified');
      return 'refused';
    }
    try {
      if (req.mode === 'unsubscribe') {
        await this.#o.store.remove(req.topic, req.callback);
      } else {
        const expires = new Date(this.#o.now().getTime() + req.leaseSeconds * 1000).toISOString();
        const refused = await this.#o.store.put({ topic: req.topic, callback: req.callback, expires, ...(req.secret ? { secret: req.secret } : {}) }, this.#o.limits);
        if (refused) {
          this.#o.log.warn({ ...fields, reason: refused }, `WebSub subscription verified but not kept: ${refused}`);
          return 'refused';
        }
      }
    } catch (err) {
      this.#o.log.error({ ...fields, err }, `WebSub ${req.mode} verified but not stored; the subscriber asks again: ${(err as Error).message}`);
      return 'refused';
    }
    this.#o.log.info({ ...fields, leaseSeconds: req.leaseSeconds }, `WebSub ${req.mode} verified`);
    return 'verified';
  }

  /** §7: the changed topics' content goes to their subscribers; subscriptions whose lease ended are dropped first. */
  async distribute(topics: readonly string[]): Promise<void> {
    this.#o.store.expire(this.#o.now());
    await this.#o.deliveries.distribute(topics);
  }

  /** No request is taken any more (503): what is accepted from now on could not be kept. */
  stop(): void {
    this.#stopped = true;
  }

  /** What is not done: written with the subscriptions, resumed at the next start. */
  pendingWork(): PendingWork {
    // Closed before it resumed (a run that never started): what the last run left is still to do.
    const left = this.#resumed ? { verifications: [], deliveries: [] } : this.#o.store.pendingAtOpen;
    return {
      verifications: [...left.verifications, ...this.#verifications.values()],
      deliveries: [...left.deliveries, ...this.#o.deliveries.pending()],
    };
  }

  status(): { url: string; subscriptions: number } {
    return { url: this.#o.url, subscriptions: this.#o.store.active(this.#o.now()).length };
  }
}

/** The request's fields, or what is wrong with them. */
function parse(isTopic: (url: string) => boolean, form: URLSearchParams): PendingVerification | string {
  const mode = form.get('hub.mode');
  if (mode !== 'subscribe' && mode !== 'unsubscribe') return 'hub.mode must be subscribe or unsubscribe';
  const callback = form.get('hub.callback') ?? '';
  const url = httpUrl(callback);
  if (!url) return 'hub.callback must be an absolute http:// or https:// URL';
  if (url.username || url.password) return 'hub.callback must not carry a user name or password';
  const topic = form.get('hub.topic') ?? '';
  if (!isTopic(topic)) return `hub.topic ${JSON.stringify(topic.slice(0, 200))} is not a feed of this service (use a feed URL without query)`;
  const secret = form.get('hub.secret') ?? undefined;
  if (secret !== undefined && (secret.length === 0 || Buffer.byteLength(secret) >= 200)) return 'hub.secret must be 1 to 199 bytes';
  const lease = form.get('hub.lease_seconds');
  if (lease !== null && !/^\d{1,10}$/.test(lease)) return 'hub.lease_seconds must be a whole number of seconds';
  const leaseSeconds = lease === null ? DEFAULT_LEASE_SECONDS : Math.min(MAX_LEASE_SECONDS, Math.max(MIN_LEASE_SECONDS, Number(lease)));
  return { mode, topic, callback, leaseSeconds, ...(secret !== undefined ? { secret } : {}) };
}

function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
