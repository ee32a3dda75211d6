// The publisher side of WebSub: after a render changed some feeds, tell the configured hub which topic URLs
// to fetch again (the de-facto publish ping of PubSubHubbub 0.4, which WebSub leaves to hub and publisher).
import type { Logger } from '../../log.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { WebSubRequestError } from './errors.ts';
import { isSuccess, websubRequest, type OutboundOptions } from './request.ts';

export interface PublisherOptions extends OutboundOptions {
  hub: string;
  /** the hub's host name: its queue */
  hubHost: string;
  queue: DeliveryQueue;
  log: Logger;
  onPing?: (ok: boolean) => void;
}

/** Queues one ping per changed topic: POST hub.mode=publish&hub.url=<topic>, retried on failure. */
export function pingHub(topics: readonly string[], options: PublisherOptions): void {
  for (const topic of topics) {
    options.queue.add({ host: options.hubHost, key: `ping ${topic}`, attempt: async (attemptNo, signal) => {
      try {
        // The operator's own hub: a redirect it answers with (http to https, a moved endpoint) is followed.
        const answer = await websubRequest(options.hub, {
          method: 'POST',
          redirect: 'follow',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }).toString(),
        }, options, signal);
        if (!isSuccess(answer.status)) throw new WebSubRequestError(options.hub, `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`, { status: answer.status });
        options.onPing?.(true);
        return true;
      } catch (err) {
        if (signal.aborted) return false; // shutdown: not a failure of the hub
        options.onPing?.(false);
        options.log.warn({ hub: options.hub, topic, attempt: attemptNo, error: (err as Error).message }, 'WebSub hub ping failed');
        return false;
      }
    }, onGiveUp: () => options.log.error({ hub: options.hub, topic }, 'WebSub hub ping given up; the hub learns of the change at its next poll') });
  }
}
