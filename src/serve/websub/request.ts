import type { Dispatcher } from 'undici';
import { privateAddressCause, type AddressPolicy } from '../../fetch/address-policy.ts';
import type { FetchFunction } from '../../fetch/fetch-source.ts';
import { WebSubRequestError } from './errors.ts';

export interface OutboundOptions {
  fetch: FetchFunction;
  timeoutMs: number;
  userAgent: string;
  /** the connection pool: for callbacks, one whose sockets connect only where `policy` allows */
  dispatcher?: Dispatcher;
  /**
   * which addresses the URL may name: checked here for address literals (a socket to a literal skips the DNS
   * lookup the dispatcher guards), by the dispatcher for names
   */
  policy?: AddressPolicy;
}

export interface OutboundAnswer {
  status: number;
  body: string;
}

/** Only a challenge echo or an error text is expected back: a subscriber cannot make the hub buffer much. */
const MAX_ANSWER_BYTES = 4096;

/**
 * One request to a hub or a subscriber: whole-request timeout, small answer read, aborted with `signal`.
 * Throws WebSubRequestError. Redirects are followed only when `init.redirect` says so.
 */
export async function websubRequest(url: string, init: RequestInit, options: OutboundOptions, signal?: AbortSignal): Promise<OutboundAnswer> {
  const refusal = options.policy?.refusalForUrl(new URL(url));
  if (refusal) throw new WebSubRequestError(url, refusal.message, { cause: refusal });
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const both = signal ? AbortSignal.any([timeout, signal]) : timeout;
  let response: Awaited<ReturnType<FetchFunction>>;
  try {
    response = await options.fetch(url, {
      ...(init as object),
      redirect: init.redirect ?? 'manual',
      headers: { 'user-agent': options.userAgent, ...(init.headers as Record<string, string> | undefined) },
      signal: both,
      ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    });
  } catch (err) {
    const refused = privateAddressCause(err);
    throw new WebSubRequestError(url, refused ? refused.message : timeout.aborted ? `no answer within ${options.timeoutMs} ms` : (err as Error).message, { cause: err });
  }
  return { status: response.status, body: await readSome(response) };
}

async function readSome(response: Awaited<ReturnType<FetchFunction>>): Promise<string> {
  if (!response.body) return '';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response.body) {
      chunks.push(Buffer.from(chunk as Uint8Array));
      size += (chunk as Uint8Array).length;
      if (size >= MAX_ANSWER_BYTES) break;
    }
  } catch {
    // A body cut short (a timeout, a reset) still tells its status; what arrived is kept.
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8');
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
