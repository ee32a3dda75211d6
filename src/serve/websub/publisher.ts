// The publisher side of WebSub: after a render changed some feeds, tell the configured hub which topic URLs
// to fetch again (the de-facto publish ping of PubSubHubbub 0.4, which WebSub leaves to hub and publisher).
import type { Logger } from '../../log.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import { WebSubRequestError } from './errors.ts';
import { isSuccess, websubRequest, type OutboundOptions } from './request.ts';

export interface PublisherOptions extends OutboundOptions {
  hub: string;
  queue: DeliveryQueue;
  log: Logger;
  onPing?: (ok: boolean) => void;
}

/** Queues one ping per changed topic: POST hub.mode=publish&hub.url=<topic>, retried on failure. */
export function pingHub(topics: readonly string[], options: PublisherOptions): void {
  for (const topic of topics) {
    options.queue.add(async (attemptNo) => {
      try {
        const answer = await websubRequest(options.hub, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }).toString(),
        }, options);
        if (!isSuccess(answer.status)) throw new WebSubRequestError(options.hub, `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`, { status: answer.status });
        options.onPing?.(true);
        return true;
      } catch (err) {
        options.onPing?.(false);
        options.log.warn({ hub: options.hub, topic, attempt: attemptNo, error: (err as Error).message }, 'WebSub hub ping failed');
        return false;
      }
    }, () => options.log.error({ hub: options.hub, topic }, 'WebSub hub ping given up; the hub learns of the change at its next poll'));
  }
}
