import { decodeBody, type DecodedText } from './charset.ts';
import { SourceFetchError } from './errors.ts';

export type FetchFunction = typeof globalThis.fetch;

export interface FetchRequest {
  sourceId: string;
  url: string;
  /** validators from the last successful fetch */
  etag?: string;
  lastModified?: string;
  encoding?: string;
}

export interface FetchOptions {
  fetch?: FetchFunction;
  /** connect + headers + whole body, in milliseconds */
  timeoutMs: number;
  /** cap on the decompressed body, in bytes */
  maxBytes: number;
  userAgent: string;
  /** aborts the fetch early, e.g. on shutdown */
  signal?: AbortSignal;
}

export interface FetchedFeed {
  kind: 'ok';
  status: number;
  /** URL after redirects */
  url: string;
  text: string;
  charset: DecodedText['charset'];
  bytes: number;
  contentType?: string;
  etag?: string;
  lastModified?: string;
}

export interface NotModified {
  kind: 'not-modified';
  status: 304;
  url: string;
  etag?: string;
  lastModified?: string;
}

export type FetchResult = FetchedFeed | NotModified;

export const ACCEPT = 'application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5';

/** Fetches a source's bytes with a timeout and a size cap and decodes them to text. Throws SourceFetchError. */
export async function fetchSource(req: FetchRequest, options: FetchOptions): Promise<FetchResult> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const headers: Record<string, string> = { 'user-agent': options.userAgent, accept: ACCEPT };
  if (req.etag) headers['if-none-match'] = req.etag;
  if (req.lastModified) headers['if-modified-since'] = req.lastModified;
  const fail = (message: string, extra: { status?: number; cause?: unknown } = {}) =>
    new SourceFetchError(req.sourceId, req.url, message, extra);

  let response: Response;
  try {
    response = await doFetch(req.url, { headers, signal, redirect: 'follow' });
  } catch (err) {
    throw fail(describeNetworkError(err, timeout, options.timeoutMs), { cause: err });
  }
  const validators = {
    ...optional('etag', response.headers.get('etag')),
    ...optional('lastModified', response.headers.get('last-modified')),
  };
  if (response.status === 304) {
    await response.body?.cancel();
    return { kind: 'not-modified', status: 304, url: response.url || req.url, ...validators };
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw fail(`HTTP ${response.status} ${response.statusText}`.trim(), { status: response.status });
  }
  let body: Uint8Array;
  try {
    body = await readCapped(response, options.maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw fail(err.message, { status: response.status });
    throw fail(describeNetworkError(err, timeout, options.timeoutMs), { status: response.status, cause: err });
  }
  if (body.byteLength === 0) throw fail('empty response body', { status: response.status });
  const contentType = response.headers.get('content-type') ?? undefined;
  const decoded = decodeBody(body, { contentType, ...optional('override', req.encoding) });
  return {
    kind: 'ok',
    status: response.status,
    url: response.url || req.url,
    text: decoded.text,
    charset: decoded.charset,
    bytes: body.byteLength,
    ...optional('contentType', contentType),
    ...validators,
  };
}

class BodyTooLarge extends Error {}

/** Reads the (already decompressed) body stream and stops as soon as it passes the cap. */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes && !response.headers.get('content-encoding')) {
    await response.body?.cancel();
    throw new BodyTooLarge(`body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`);
  }
  if (!response.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new BodyTooLarge(`body exceeds the limit of ${maxBytes} bytes (after decompression)`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function describeNetworkError(err: unknown, timeout: AbortSignal, timeoutMs: number): string {
  if (timeout.aborted) return `timed out after ${timeoutMs} ms`;
  const error = err as Error & { cause?: { code?: string; message?: string } };
  if (error?.name === 'AbortError') return 'aborted';
  const cause = error?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return error?.message ?? String(err);
}

function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
