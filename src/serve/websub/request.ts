import { WebSubRequestError } from './errors.ts';

export interface OutboundOptions {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  userAgent: string;
}

export interface OutboundAnswer {
  status: number;
  body: string;
}

/** One request to a hub or a subscriber: whole-request timeout, small answer read. Throws WebSubRequestError. */
export async function websubRequest(url: string, init: RequestInit, options: OutboundOptions): Promise<OutboundAnswer> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      ...init,
      headers: { 'user-agent': options.userAgent, ...(init.headers as Record<string, string> | undefined) },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    throw new WebSubRequestError(url, (err as Error).message, { cause: err });
  }
  // Only a challenge echo or an error text is expected back; a subscriber cannot make the hub buffer much.
  const body = (await response.text().catch(() => '')).slice(0, 4096);
  return { status: response.status, body };
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
