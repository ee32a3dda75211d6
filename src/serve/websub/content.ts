// One content distribution (WebSub §7): the topic's bytes POSTed to a subscriber's callback, with the Link header
// naming the hub and the topic, and X-Hub-Signature when the subscriber gave a secret (§8). Both hubs send through
// here: the one process's queued deliveries (queued-deliveries.ts) and the instances' leased ones
// (leased-deliveries.ts).
import { createHmac } from 'node:crypto';
import type { Logger } from '../../log.ts';
import { WebSubRequestError } from './errors.ts';
import { isSuccess, websubRequest, type OutboundOptions } from './request.ts';

export interface ContentTarget {
  topic: string;
  callback: string;
  /** HMAC key of the subscription, when the subscriber gave one */
  secret?: string;
}

export interface TopicContent {
  body: Buffer;
  contentType: string;
}

export interface ContentOptions {
  /** this hub's public URL */
  hubUrl: string;
  outbound: OutboundOptions;
  log: Logger;
  onDelivery?: (outcome: 'ok' | 'retry' | 'failed') => void;
}

export type SendOutcome = 'done' | 'failed' | 'aborted';

/** Sends `content` to the target: done on a 2xx, failed otherwise (logged, counted as a retry), aborted with `signal`. */
export async function sendContent(target: ContentTarget, content: TopicContent, o: ContentOptions, attemptNo: number, signal: AbortSignal): Promise<SendOutcome> {
  const { topic, callback, secret } = target;
  const headers: Record<string, string> = {
    'content-type': content.contentType,
    link: `<${o.hubUrl}>; rel="hub", <${topic}>; rel="self"`,
  };
  if (secret) headers['x-hub-signature'] = `sha256=${createHmac('sha256', secret).update(content.body).digest('hex')}`;
  try {
    const answer = await websubRequest(callback, { method: 'POST', headers, body: new Uint8Array(content.body) }, o.outbound, signal);
    if (!isSuccess(answer.status)) throw new WebSubRequestError(callback, `HTTP ${answer.status}`, { status: answer.status });
    o.onDelivery?.('ok');
    return 'done';
  } catch (err) {
    if (signal.aborted) return 'aborted';
    o.onDelivery?.('retry');
    o.log.warn({ topic, callback, attempt: attemptNo, error: (err as Error).message }, 'WebSub delivery failed');
    return 'failed';
  }
}
