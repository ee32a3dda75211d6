import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { FeedPageNotFoundError, FeedQueryError, FilterBusyError } from '../render/errors.ts';
import { parseFeedQuery, type FeedQuery } from '../render/feed-query.ts';
import { PAGE_CSP } from '../render/page-style.ts';
import type { FeedFormat, RenderedFeed } from '../render/render-feed.ts';
import { isNotModified, pickEncoding } from './conditional.ts';
import { FEED_STYLESHEET_PATH } from './feed-style.ts';
import { BROWSER_XML_TYPE, isBrowserNavigation } from './negotiate.ts';
import { replyText, sendJson } from './replies.ts';

export interface HubAnswer {
  status: number;
  message: string;
  /** sent as Retry-After (a 429 or 503) */
  retryAfterSeconds?: number;
}

/**
 * Thrown by a site that cannot answer until its store is loaded (the start serves kept documents before that):
 * the request gets 503 with Retry-After.
 */
export class StoreLoadingError extends Error {
  readonly retryAfterSeconds: number;
  constructor(what: string, retryAfterSeconds: number) {
    super(`${what} is answered once the store is loaded (the service is starting); retry in ${retryAfterSeconds} s`);
    this.name = 'StoreLoadingError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Thrown by a site that serves no feeds, by design (an instance of the PostgreSQL store run with --role fetch): the
 * request gets 404 with the reason, so an operator who reached the wrong instance reads why.
 */
export class NotServedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotServedError';
  }
}

/**
 * What the HTTP layer serves; everything is prepared beforehand or cached, nothing renders twice. A feed or page
 * comes as a promise only while the service starts (read from disk on its first request).
 */
export interface ServedSite {
  feed(path: string, format: FeedFormat): RenderedFeed | Promise<RenderedFeed | undefined> | undefined;
  /**
   * an older page or a filtered view; throws FeedQueryError or FeedPageNotFoundError. A filtered view not made
   * yet comes as a promise (the filter runs in slices), rejected as this throws or with FilterBusyError.
   */
  view(path: string, format: FeedFormat, query: FeedQuery): RenderedFeed | Promise<RenderedFeed> | undefined;
  page(name: 'index' | 'opml' | 'stylesheet'): RenderedFeed | Promise<RenderedFeed | undefined> | undefined;
  health(): unknown;
  status(): unknown;
  /** seconds readers may cache a feed */
  maxAgeSeconds(): number;
  /** Prometheus text exposition */
  metrics?(): Promise<{ contentType: string; body: string }>;
  /** the built-in WebSub hub: a subscriber's form-encoded POST, and the address it came from */
  hub?(form: URLSearchParams, client: string): HubAnswer;
  onRequest?(route: string, status: number): void;
  /** `language:` of the config: the lang and the words of the error pages (English when absent) */
  language?(): string | undefined;
}

const FEED_PATH = /^\/feeds\/(latest|tags\/[^/]+|sources\/[a-z0-9-]+)\.(atom|rss|json|html)$/;
export const HUB_PATH = '/websub';
const MAX_FORM_BYTES = 16 * 1024;

/** the site each server answers for, which useSite() replaces (the start serves kept documents, then the store's) */
const sites = new WeakMap<Server, { site: ServedSite }>();
/**
 * The site a response answers for, for the words of an error page written far from the route: its server's (a
 * rare path; a WeakMap entry per request cost the hot path more than its lookups save).
 */
function answering(res: ServerResponse): ServedSite | undefined {
  return sites.get((res.req?.socket as { server?: Server } | undefined)?.server as Server)?.site;
}

export function createFeedServer(site: ServedSite): Server {
  const slot = { site };
  const server = createServer((req, res) => {
    // Synchronous for feeds and pages (no promise and no closure per request on the hot path); only the hub,
    // /metrics and a filtered view being made wait.
    try {
      const pending = route(slot.site, req, res);
      if (pending instanceof Promise) pending.catch((err: Error) => failRequest(res, err));
    } catch (err) {
      failRequest(res, err as Error);
    }
  });
  sites.set(server, slot);
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

/** A request whose answer threw: 503 while the store loads, else 500; a response already begun is cut off. */
function failRequest(res: ServerResponse, err: Error): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof StoreLoadingError) {
    res.setHeader('retry-after', String(err.retryAfterSeconds));
    return sendText(res, 503, `${err.message}\n`);
  }
  if (err instanceof NotServedError) {
    answering(res)?.onRequest?.('not-served', 404);
    return sendText(res, 404, `${err.message}\n`);
  }
  sendText(res, 500, `internal error: ${err.message}\n`);
}

/** From now on `server` answers for `site`; requests already being answered finish with the old one. */
export function useSite(server: Server, site: ServedSite): void {
  const slot = sites.get(server);
  if (!slot) throw new Error('useSite: not a server createFeedServer made');
  slot.site = site;
}

function route(site: ServedSite, req: IncomingMessage, res: ServerResponse): Promise<void> | void {
  const url = req.url ?? '/';
  const method = req.method;
  // What readers do all day: GET a feed URL they asked for before, without a query. A known URL is a feed path
  // (none of the fixed paths below matches FEED_PATH), so it needs none of the checks below.
  if (method === 'GET' || method === 'HEAD') {
    const known = feedTargets.get(url);
    if (known) return answerFeed(site, req, res, known, url, '');
  }
  const mark = url.indexOf('?');
  const rawPath = mark < 0 ? url : url.slice(0, mark);
  const rawQuery = mark < 0 ? '' : url.slice(mark + 1);
  if (rawPath === HUB_PATH && site.hub) return hubRequest(site.hub, req, res);
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendText(res, 405, 'method not allowed\n');
  }
  if (rawPath === '/healthz') return sendJson(res, req, 200, site.health());
  if (rawPath === '/status') return sendJson(res, req, 200, site.status());
  if (rawPath === '/metrics' && site.metrics) return sendMetrics(site.metrics, req, res);
  if (rawPath === '/' || rawPath === '/index.html') return sendPage(site, req, res, 'index', 0);
  if (rawPath === '/feeds.opml') return sendPage(site, req, res, 'opml', site.maxAgeSeconds());
  if (rawPath === FEED_STYLESHEET_PATH) return sendPage(site, req, res, 'stylesheet', 86_400);
  const target = feedTarget(rawPath);
  if (target === undefined) return notFound(site, res, rawPath);
  if (target === null) return sendText(res, 400, 'bad percent-encoding in URL\n');
  return answerFeed(site, req, res, target, rawPath, rawQuery);
}

function answerFeed(site: ServedSite, req: IncomingMessage, res: ServerResponse, target: FeedTarget, rawPath: string, rawQuery: string): Promise<void> | void {
  let feed: RenderedFeed | Promise<RenderedFeed | undefined> | undefined;
  try {
    // Most requests carry no query at all: no URLSearchParams for them.
    const query = rawQuery === '' ? undefined : parseFeedQuery(new URLSearchParams(rawQuery));
    feed = query ? site.view(target.path, target.format, query) : site.feed(target.path, target.format);
  } catch (err) {
    return refuseView(site, res, target, err);
  }
  if (feed instanceof Promise) return feed.then((made) => sendFeed(site, req, res, made, target, rawPath), (err: unknown) => refuseView(site, res, target, err));
  sendFeed(site, req, res, feed, target, rawPath);
}

function sendFeed(site: ServedSite, req: IncomingMessage, res: ServerResponse, feed: RenderedFeed | undefined, target: FeedTarget, rawPath: string): void {
  if (!feed) return notFound(site, res, rawPath);
  const browser = (target.format === 'atom' || target.format === 'rss') && isBrowserNavigation(req.headers.accept);
  sendRendered(site, req, res, feed, target.label, site.maxAgeSeconds(), target.vary, browser ? BROWSER_XML_TYPE : undefined);
}

function sendPage(site: ServedSite, req: IncomingMessage, res: ServerResponse, name: 'index' | 'opml' | 'stylesheet', maxAge: number): Promise<void> | void {
  const doc = site.page(name);
  if (doc instanceof Promise) return doc.then((read) => sendRendered(site, req, res, read, name, maxAge, VARY_ENCODING));
  sendRendered(site, req, res, doc, name, maxAge, VARY_ENCODING);
}

/** Answers a query the feed cannot serve: 400 for the query, 404 past the last page, 503 when too busy. */
function refuseView(site: ServedSite, res: ServerResponse, { path, format, label }: FeedTarget, err: unknown): void {
  if (err instanceof StoreLoadingError || err instanceof NotServedError) throw err;
  // Counted under the feed's name only when the feed exists: a client's made-up paths must not grow the metrics.
  const known = site.feed(path, format);
  // While the service starts, a feed is a read of its kept file; if that read fails, this request answers for
  // it (500 below), and the second look must not leave an unhandled rejection behind (Node exits on one).
  if (known instanceof Promise) known.catch(() => undefined);
  const counted = known ? label : 'not-found';
  if (err instanceof FeedQueryError) return refuse(site, res, counted, 400, err.message);
  if (err instanceof FeedPageNotFoundError) return refuse(site, res, counted, 404, err.message);
  if (err instanceof FilterBusyError) {
    res.setHeader('retry-after', String(err.retryAfterSeconds));
    return refuse(site, res, counted, 503, err.message);
  }
  throw err;
}

interface FeedTarget {
  path: string;
  format: FeedFormat;
  /** path.format, the feed's name in logs and metrics */
  label: string;
  /** Atom and RSS also vary on Accept: a browser gets them as application/xml (see negotiate.ts) */
  vary: string;
}

const VARY_ENCODING = 'Accept-Encoding';

/**
 * Feed URLs already read: readers poll the same few hundred all day, so the match, the decoding and the label
 * are done once per URL. Bounded, as the paths come from clients; past the bound they are read afresh.
 */
const feedTargets = new Map<string, FeedTarget>();
const MAX_FEED_TARGETS = 2048;

/** The feed a URL path names; undefined when it names none, null when its percent-encoding is broken. */
function feedTarget(rawPath: string): FeedTarget | undefined | null {
  const known = feedTargets.get(rawPath);
  if (known) return known;
  const match = FEED_PATH.exec(rawPath);
  if (!match) return undefined;
  let path: string;
  try {
    // Only a lookup key in a Map: no path from a URL ever reaches the filesystem.
    path = decodeURIComponent(match[1]!);
  } catch {
    return null;
  }
  const format = match[2] as FeedFormat;
  const target = { path, format, label: `${path}.${format}`, vary: format === 'atom' || format === 'rss' ? 'Accept-Encoding, Accept' : VARY_ENCODING };
  if (feedTargets.size < MAX_FEED_TARGETS) feedTargets.set(rawPath, target);
  return target;
}

async function sendMetrics(metrics: NonNullable<ServedSite['metrics']>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { contentType, body } = await metrics();
  res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendRendered(
  site: ServedSite, req: IncomingMessage, res: ServerResponse, doc: RenderedFeed | undefined, name: string, maxAge: number, vary: string, contentType?: string,
): void {
  if (!doc) return notFound(site, res, name);
  const headers = headersOf(doc, maxAge, contentType ?? doc.contentType, vary);
  if (isNotModified(req.headers, doc.etag, doc.lastModified)) {
    site.onRequest?.(name, 304);
    res.writeHead(304, headers.notModified);
    res.end();
    return;
  }
  const encoding = pickEncoding(req.headers['accept-encoding']);
  const body = encoding === 'br' ? doc.brotli : encoding === 'gzip' ? doc.gzip : doc.body;
  site.onRequest?.(name, 200);
  res.writeHead(200, headers[encoding] ?? compressedHeaders(headers, encoding as 'gzip' | 'br', body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

interface PreparedHeaders {
  maxAge: number;
  contentType: string;
  vary: string;
  notModified: OutgoingHttpHeaders;
  identity: OutgoingHttpHeaders;
  /** made on the first answer in that encoding: a document compressed on request (an HTML page, a kept document) is not compressed for a 304 */
  gzip?: OutgoingHttpHeaders;
  br?: OutgoingHttpHeaders;
}

/**
 * A document's response headers, built once per document, cache age, type and Vary rather than per request:
 * eight setHeader calls (each validating and lower-casing its name) cost more than the rest of the route, and
 * writeHead takes a ready object as it is. Keyed weakly by the document, so a re-render drops them with it;
 * the last set built for a document is checked first, as it is nearly always the one asked for again.
 */
const preparedHeaders = new WeakMap<RenderedFeed, PreparedHeaders[]>();

function headersOf(doc: RenderedFeed, maxAge: number, contentType: string, vary: string): PreparedHeaders {
  let forDoc = preparedHeaders.get(doc);
  if (!forDoc) preparedHeaders.set(doc, (forDoc = []));
  for (const prepared of forDoc) {
    if (prepared.maxAge === maxAge && prepared.contentType === contentType && prepared.vary === vary) return prepared;
  }
  const common = {
    'content-type': contentType,
    etag: doc.etag,
    'last-modified': doc.lastModified,
    'cache-control': maxAge > 0 ? `public, max-age=${maxAge}` : 'no-cache',
    vary,
    'access-control-allow-origin': '*',
    // The index and the feed views: inline style, one inline script by its hash (render/page-style.ts).
    ...(contentType.startsWith('text/html') ? { 'content-security-policy': PAGE_CSP } : {}),
  };
  const prepared = {
    maxAge,
    contentType,
    vary,
    notModified: common,
    identity: { ...common, 'content-length': doc.bytes },
  };
  // A few sets at most (reader and browser types; a changed cache age): never let the list grow.
  if (forDoc.length >= 4) forDoc.pop();
  forDoc.unshift(prepared);
  return prepared;
}

function compressedHeaders(headers: PreparedHeaders, encoding: 'gzip' | 'br', body: Buffer): OutgoingHttpHeaders {
  return (headers[encoding] = { ...headers.notModified, 'content-encoding': encoding, 'content-length': body.length });
}

/** WebSub subscription requests: POST, form-encoded, small. */
async function hubRequest(hub: NonNullable<ServedSite['hub']>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return sendText(res, 405, 'the hub takes POST requests (hub.mode, hub.topic, hub.callback)\n');
  }
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
    return sendText(res, 415, 'the hub takes application/x-www-form-urlencoded bodies\n');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return sendText(res, 413, `request body over ${MAX_FORM_BYTES} bytes\n`);
    chunks.push(chunk as Buffer);
  }
  const answer = hub(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), req.socket.remoteAddress ?? '');
  if (answer.retryAfterSeconds !== undefined) res.setHeader('retry-after', String(answer.retryAfterSeconds));
  sendText(res, answer.status, `${answer.message}\n`);
}

function refuse(site: ServedSite, res: ServerResponse, label: string, status: number, message: string): void {
  site.onRequest?.(label, status);
  sendText(res, status, `${message}\n`);
}

function notFound(site: ServedSite, res: ServerResponse, name: string): void {
  site.onRequest?.('not-found', 404);
  sendText(res, 404, `not found: ${name.slice(0, 200)}\n`);
}

/** An answer in words (replies.ts), an error page in the configured language when a browser asks. */
function sendText(res: ServerResponse, status: number, text: string): void {
  replyText(res, status, text, () => answering(res)?.language?.());
}
