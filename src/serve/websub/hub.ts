// A WebSub hub (W3C Recommendation, 2018) for this service's own feeds: subscription requests with
// verification of intent (§5.3), leases, and content distribution (§7) signed with the subscriber's secret.
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from '../../log.ts';
import type { RenderedFeed } from '../../render/render-feed.ts';
import type { HubAnswer } from '../server.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { WebSubRequestError } from './errors.ts';
import { isSuccess, websubRequest, type OutboundOptions } from './request.ts';
import type { SubscriptionStore } from './subscriptions.ts';

export const DEFAULT_LEASE_SECONDS = 10 * 86_400;
export const MIN_LEASE_SECONDS = 60;
export const MAX_LEASE_SECONDS = 30 * 86_400;

export interface HubOptions extends OutboundOptions {
  /** this hub's public URL, sent in the Link header of every distribution */
  url: string;
  /** the current content of a topic, or undefined when the topic is no feed of ours */
  topic: (url: string) => RenderedFeed | undefined;
  store: SubscriptionStore;
  queue: DeliveryQueue;
  now: () => Date;
  log: Logger;
  onDelivery?: (outcome: 'ok' | 'retry' | 'failed') => void;
}

interface SubscriptionRequest {
  mode: 'subscribe' | 'unsubscribe';
  topic: string;
  callback: string;
  leaseSeconds: number;
  secret?: string;
}

export class WebSubHub {
  readonly #o: HubOptions;

  constructor(options: HubOptions) {
    this.#o = options;
  }

  get url(): string {
    return this.#o.url;
  }

  /** A subscriber's POST: 202 and verification in the background, or 4xx naming what is wrong (§5.1). */
  request(form: URLSearchParams): HubAnswer {
    const parsed = this.#parse(form);
    if (typeof parsed === 'string') return { status: 400, message: parsed };
    this.#o.queue.add(async () => {
      await this.#verify(parsed);
      return true; // an unconfirmed intent is not retried: the subscriber asks again
    }, () => {});
    return { status: 202, message: `accepted: verifying intent with ${parsed.callback}` };
  }

  #parse(form: URLSearchParams): SubscriptionRequest | string {
    const mode = form.get('hub.mode');
    if (mode !== 'subscribe' && mode !== 'unsubscribe') return 'hub.mode must be subscribe or unsubscribe';
    const callback = form.get('hub.callback') ?? '';
    if (!isHttpUrl(callback)) return 'hub.callback must be an absolute http:// or https:// URL';
    const topic = form.get('hub.topic') ?? '';
    if (!this.#o.topic(topic)) return `hub.topic ${JSON.stringify(topic.slice(0, 200))} is not a feed of this service (use a feed URL without query)`;
    const secret = form.get('hub.secret') ?? undefined;
    if (secret !== undefined && (secret.length === 0 || Buffer.byteLength(secret) >= 200)) return 'hub.secret must be 1 to 199 bytes';
    const lease = form.get('hub.lease_seconds');
    if (lease !== null && !/^\d{1,10}$/.test(lease)) return 'hub.lease_seconds must be a whole number of seconds';
    const leaseSeconds = lease === null ? DEFAULT_LEASE_SECONDS : Math.min(MAX_LEASE_SECONDS, Math.max(MIN_LEASE_SECONDS, Number(lease)));
    return { mode, topic, callback, leaseSeconds, ...(secret !== undefined ? { secret } : {}) };
  }

  /** §5.3: the callback must echo a random challenge, so nobody can subscribe a URL that did not ask. */
  async #verify(req: SubscriptionRequest): Promise<void> {
    const challenge = randomBytes(24).toString('base64url');
    const url = new URL(req.callback);
    url.searchParams.set('hub.mode', req.mode);
    url.searchParams.set('hub.topic', req.topic);
    url.searchParams.set('hub.challenge', challenge);
    if (req.mode === 'subscribe') url.searchParams.set('hub.lease_seconds', String(req.leaseSeconds));
    const fields = { mode: req.mode, topic: req.topic, callback: req.callback };
    try {
      const answer = await websubRequest(url.href, { method: 'GET' }, this.#o);
      if (!isSuccess(answer.status) || answer.body.trim() !== challenge) {
        throw new WebSubRequestError(req.callback, `intent not confirmed (HTTP ${answer.status}, challenge ${answer.body.trim() === challenge ? 'echoed' : 'not echoed'})`, { status: answer.status });
      }
    } catch (err) {
      this.#o.log.warn({ ...fields, error: (err as Error).message }, 'WebSub subscription not verified');
      return;
    }
    if (req.mode === 'unsubscribe') {
      await this.#o.store.remove(req.topic, req.callback);
    } else {
      const expires = new Date(this.#o.now().getTime() + req.leaseSeconds * 1000).toISOString();
      await this.#o.store.put({ topic: req.topic, callback: req.callback, expires, ...(req.secret ? { secret: req.secret } : {}) });
    }
    this.#o.log.info({ ...fields, leaseSeconds: req.leaseSeconds }, `WebSub ${req.mode} verified`);
  }

  /** §7: sends each changed topic's new content to its subscribers, retrying a failed delivery. */
  async distribute(topics: readonly string[]): Promise<void> {
    await this.#o.store.expire(this.#o.now());
    for (const topic of topics) {
      for (const subscription of this.#o.store.active(this.#o.now(), topic)) {
        this.#o.queue.add(
          (attemptNo) => this.#deliver(topic, subscription.callback, attemptNo),
          () => {
            this.#o.onDelivery?.('failed');
            this.#o.log.error({ topic, callback: subscription.callback }, 'WebSub delivery given up');
          },
        );
      }
    }
  }

  /** The content as it is at the attempt (a retry sends the newest), to a subscription still active then. */
  async #deliver(topic: string, callback: string, attemptNo: number): Promise<boolean> {
    const subscription = this.#o.store.find(topic, callback);
    const feed = this.#o.topic(topic);
    if (!subscription || subscription.expires <= this.#o.now().toISOString() || !feed) return true;
    const headers: Record<string, string> = {
      'content-type': feed.contentType,
      link: `<${this.#o.url}>; rel="hub", <${topic}>; rel="self"`,
    };
    if (subscription.secret) headers['x-hub-signature'] = `sha256=${createHmac('sha256', subscription.secret).update(feed.body).digest('hex')}`;
    try {
      const answer = await websubRequest(callback, { method: 'POST', headers, body: new Uint8Array(feed.body) }, this.#o);
      if (!isSuccess(answer.status)) throw new WebSubRequestError(callback, `HTTP ${answer.status}`, { status: answer.status });
      this.#o.onDelivery?.('ok');
      return true;
    } catch (err) {
      this.#o.onDelivery?.('retry');
      this.#o.log.warn({ topic, callback, attempt: attemptNo, error: (err as Error).message }, 'WebSub delivery failed');
      return false;
    }
  }

  status(): { url: string; subscriptions: number } {
    return { url: this.#o.url, subscriptions: this.#o.store.active(this.#o.now()).length };
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
