import { Agent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { basicAuthorization, splitUrlCredentials, type BasicAuth } from '../config/credentials.ts';
import { privateAddressCause, type AddressPolicy } from './address-policy.ts';
import { decodeBody, type DecodedText } from './charset.ts';
import { SourceFetchError, SourceHttpError, SourceRedirectError, SourceTimeoutError, SourceTooLargeError } from './errors.ts';
import { parseRetryAfter } from './retry-after.ts';

export type FetchFunction = typeof undiciFetch;
type FetchResponse = Awaited<ReturnType<FetchFunction>>;

export interface FetchRequest {
  sourceId: string;
  url: string;
  /** validators from the last successful fetch */
  etag?: string;
  lastModified?: string;
  encoding?: string;
  /** a web page (type: html) is asked for as HTML and decoded by its <meta> charset; default feed */
  document?: 'feed' | 'html';
  /** sent as Basic auth to the URL's origin only; a user:pass@ in the URL means the same */
  auth?: BasicAuth;
  /** the source's own headers (names in any case), sent with the same rule as auth */
  headers?: Readonly<Record<string, string>>;
}

export interface FetchOptions {
  fetch?: FetchFunction;
  /** connection pool whose connect timeout applies; see createFetchAgent */
  dispatcher?: Dispatcher;
  /** connect + headers + whole body, over all redirects, in milliseconds */
  timeoutMs: number;
  /** the dispatcher's connect timeout, for messages */
  connectTimeoutMs?: number;
  /** cap on the decompressed body, in bytes */
  maxBytes: number;
  userAgent: string;
  /** aborts the fetch early, e.g. on shutdown */
  signal?: AbortSignal;
  /** the clock, for Retry-After in seconds */
  now?: () => Date;
  /**
   * Redirects out of the public internet: when set, a source on a public host may not redirect to an address
   * the policy refuses (fetch.allowPrivateRedirects). A source the operator put on a private host is exempt.
   */
  redirectGuard?: RedirectGuard;
  /**
   * `dispatcher` goes through a forward proxy: redirects take it too (the guard's own pool would bypass the proxy);
   * the guard then checks redirect targets by URL only, since the proxy, not this process, resolves the names
   */
  isProxied?: boolean;
}

export interface RedirectGuard {
  policy: AddressPolicy;
  /** a pool whose sockets connect only where the policy allows (createGuardedAgent) */
  dispatcher: Dispatcher;
}

/** A redirect followed on the way. */
export interface Redirect {
  status: number;
  from: string;
  to: string;
}

interface Fetched {
  /** URL after redirects */
  url: string;
  redirects: Redirect[];
  /** where the leading run of permanent redirects (301/308) ended, when there was one: the source's new address */
  permanentUrl?: string;
  etag?: string;
  lastModified?: string;
  /** the response's Cache-Control and Expires, for when to fetch again (schedule/freshness.ts) */
  cacheControl?: string;
  expires?: string;
}

export interface FetchedFeed extends Fetched {
  kind: 'ok';
  status: number;
  text: string;
  charset: DecodedText['charset'];
  /** set when the body declared no charset and was not UTF-8: the detector's label and confidence (0–100) */
  charsetGuess?: { label: string; confidence: number };
  /** decompressed body size */
  bytes: number;
  contentType?: string;
}

export interface NotModified extends Fetched {
  kind: 'not-modified';
  status: 304;
}

export type FetchResult = FetchedFeed | NotModified;

export const ACCEPT = 'application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5';
export const ACCEPT_HTML = 'text/html, application/xhtml+xml;q=0.9, */*;q=0.5';
/** undici decodes all three as the body streams in, so the size cap below counts decompressed bytes. */
export const ACCEPT_ENCODING = 'gzip, deflate, br';
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const PERMANENT_REDIRECTS = new Set([301, 308]);

/**
 * A connection pool for feed fetches: undici's connect timeout is the only way to bound the TCP/TLS handshake
 * apart from the whole request. Close it when done.
 */
export function createFetchAgent(connectTimeoutMs: number): Agent {
  return new Agent({ connect: { timeout: connectTimeoutMs }, keepAliveTimeout: 10_000 });
}

/**
 * Fetches a source's bytes with a total timeout and a size cap, following redirects itself (so it knows which
 * were permanent), and decodes them to text. Throws SourceFetchError or one of its subclasses.
 */
export async function fetchSource(request: FetchRequest, options: FetchOptions): Promise<FetchResult> {
  const doFetch = options.fetch ?? undiciFetch;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  // user:pass@ in a source URL is Basic auth (fetch refuses such URLs); the URL without it is the one that
  // messages, /status and redirects see, so the password goes nowhere but the Authorization header.
  const split = splitUrlCredentials(request.url);
  const req = { ...request, url: split.url };
  const auth = request.auth ?? split.auth;
  const authorization = auth ? basicAuthorization(auth) : undefined;
  const headers: Record<string, string> = { 'user-agent': options.userAgent, accept: req.document === 'html' ? ACCEPT_HTML : ACCEPT, 'accept-encoding': ACCEPT_ENCODING };
  // The source's own headers may replace the User-Agent or Accept; the validators of a conditional GET still go.
  const own: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers ?? {})) own[name.toLowerCase()] = value;
  if (req.etag) headers['if-none-match'] = req.etag;
  if (req.lastModified) headers['if-modified-since'] = req.lastModified;
  if (authorization) own.authorization = authorization;
  const networkError = (err: unknown, status?: number) => describeFailure(req, options, timeout, err, status);
  const origin = new URL(req.url).origin;
  let guard: RedirectGuard | undefined;
  let isGuardSettled = !options.redirectGuard || options.redirectGuard.policy.isOpen;

  const chain = [req.url];
  const redirects: Redirect[] = [];
  let permanentUrl: string | undefined;
  let isPermanentRun = true;
  let response: FetchResponse;
  for (;;) {
    const url = chain[chain.length - 1]!;
    // Credentials and the source's own headers (a Cookie is one) go to the origin they were given for, never along
    // a redirect to another one (as browsers do with Authorization).
    const sent = new URL(url).origin === origin ? { ...headers, ...own, ...conditional(headers) } : headers;
    const dispatcher = (chain.length > 1 && !options.isProxied ? guard?.dispatcher : undefined) ?? options.dispatcher;
    try {
      response = await doFetch(url, { headers: sent, signal, redirect: 'manual', ...(dispatcher ? { dispatcher } : {}) });
    } catch (err) {
      const refused = chain.length > 1 ? privateAddressCause(err) : undefined;
      if (refused) throw new SourceRedirectError(req.sourceId, req.url, `redirect into the private network refused: ${refused.message}`, chain);
      throw networkError(err);
    }
    if (!REDIRECT_STATUSES.has(response.status)) break;
    await response.body?.cancel();
    const next = redirectTarget(req, response, chain);
    if (!isGuardSettled) {
      // Decided once, at the first redirect: only a source on a public host is held to public targets.
      isGuardSettled = true;
      if (!(await options.redirectGuard!.policy.isPrivateHost(new URL(req.url)))) guard = options.redirectGuard;
    }
    const refusal = guard?.policy.refusalForUrl(new URL(next));
    if (refusal) throw new SourceRedirectError(req.sourceId, req.url, `redirect into the private network refused: ${refusal.message}`, [...chain, next], response.status);
    redirects.push({ status: response.status, from: url, to: next });
    isPermanentRun &&= PERMANENT_REDIRECTS.has(response.status);
    if (isPermanentRun) permanentUrl = next;
    chain.push(next);
  }

  const fetched: Fetched = {
    url: chain[chain.length - 1]!,
    redirects,
    ...optional('permanentUrl', permanentUrl),
    ...optional('etag', response.headers.get('etag')),
    ...optional('lastModified', response.headers.get('last-modified')),
    ...optional('cacheControl', response.headers.get('cache-control')),
    ...optional('expires', response.headers.get('expires')),
  };
  if (response.status === 304) {
    await response.body?.cancel();
    return { kind: 'not-modified', status: 304, ...fetched };
  }
  if (!response.ok) {
    await response.body?.cancel();
    const retryAfter = response.status === 429 || response.status === 503
      ? parseRetryAfter(response.headers.get('retry-after'), (options.now ?? (() => new Date()))())
      : undefined;
    throw new SourceHttpError(req.sourceId, req.url, response.status, response.statusText, retryAfter, fetched.url);
  }
  let body: Uint8Array;
  try {
    body = await readCapped(response, options.maxBytes);
  } catch (err) {
    if (err instanceof BodyTooLarge) throw new SourceTooLargeError(req.sourceId, req.url, err.message, options.maxBytes, response.status);
    throw networkError(err, response.status);
  }
  if (body.byteLength === 0) throw new SourceFetchError(req.sourceId, req.url, 'empty response body', { status: response.status });
  const contentType = response.headers.get('content-type') ?? undefined;
  const decoded = decodeBody(body, { contentType, ...optional('override', req.encoding), ...optional('document', req.document) });
  return {
    kind: 'ok',
    status: response.status,
    text: decoded.text,
    charset: decoded.charset,
    ...optional('charsetGuess', decoded.guessedLabel !== undefined ? { label: decoded.guessedLabel, confidence: decoded.confidence ?? 0 } : undefined),
    bytes: body.byteLength,
    ...optional('contentType', contentType),
    ...fetched,
  };
}

/** The validators again, so that no configured header can replace them. */
function conditional(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers['if-none-match']) out['if-none-match'] = headers['if-none-match'];
  if (headers['if-modified-since']) out['if-modified-since'] = headers['if-modified-since'];
  return out;
}

function redirectTarget(req: FetchRequest, response: FetchResponse, chain: string[]): string {
  const fail = (message: string, to?: string) =>
    new SourceRedirectError(req.sourceId, req.url, message, to ? [...chain, to] : chain, response.status);
  const location = response.headers.get('location');
  if (!location) throw fail(`HTTP ${response.status} redirect without a Location header`);
  let next: URL;
  try {
    next = new URL(location, chain[chain.length - 1]);
  } catch {
    throw fail(`redirect to an unreadable Location ${JSON.stringify(location.slice(0, 200))}`);
  }
  next.hash = '';
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw fail('redirect to a non-HTTP URL', next.href);
  if (chain.includes(next.href)) throw fail('redirect loop', next.href);
  if (chain.length > MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects`, next.href);
  return next.href;
}

class BodyTooLarge extends Error {}

/** Reads the (already decompressed) body stream and stops as soon as it passes the cap. */
async function readCapped(response: FetchResponse, maxBytes: number): Promise<Uint8Array> {
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
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge(`body exceeds the limit of ${maxBytes} bytes (after decompression)`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function describeFailure(req: FetchRequest, options: FetchOptions, timeout: AbortSignal, err: unknown, status?: number): SourceFetchError {
  const extra = { ...optional('status', status), cause: err };
  if (timeout.aborted) return new SourceTimeoutError(req.sourceId, req.url, 'total', options.timeoutMs, extra);
  const error = err as Error & { cause?: { code?: string; message?: string } };
  const cause = error?.cause;
  if (cause?.code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new SourceTimeoutError(req.sourceId, req.url, 'connect', options.connectTimeoutMs ?? 10_000, extra);
  }
  let message: string;
  if (error?.name === 'AbortError') message = 'aborted';
  else if (cause?.code) message = `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  else message = error?.message ?? String(err);
  return new SourceFetchError(req.sourceId, req.url, message, extra);
}

function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
