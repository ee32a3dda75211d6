import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { FeedFormat, RenderedFeed } from '../render/render-feed.ts';
import { isNotModified, pickEncoding } from './conditional.ts';

/** What the HTTP layer serves; everything is prepared beforehand, nothing is rendered per request. */
export interface ServedSite {
  feed(path: string, format: FeedFormat): RenderedFeed | undefined;
  page(name: 'index' | 'opml'): RenderedFeed | undefined;
  health(): unknown;
  status(): unknown;
  /** seconds readers may cache a feed */
  maxAgeSeconds(): number;
  onRequest?(route: string, status: number): void;
}

const FEED_PATH = /^\/feeds\/(latest|tags\/[^/]+|sources\/[a-z0-9-]+)\.(atom|rss|json)$/;

export function createFeedServer(site: ServedSite): Server {
  const server = createServer((req, res) => {
    try {
      route(site, req, res);
    } catch (err) {
      if (!res.headersSent) sendText(res, 500, `internal error: ${(err as Error).message}\n`);
      else res.destroy();
    }
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

function route(site: ServedSite, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendText(res, 405, 'method not allowed\n');
  }
  const rawPath = (req.url ?? '/').split('?')[0]!;
  if (rawPath === '/healthz') return sendJson(res, req, 200, site.health());
  if (rawPath === '/status') return sendJson(res, req, 200, site.status());
  if (rawPath === '/' || rawPath === '/index.html') return sendRendered(site, req, res, site.page('index'), 'index', 0);
  if (rawPath === '/feeds.opml') return sendRendered(site, req, res, site.page('opml'), 'opml', site.maxAgeSeconds());
  const match = rawPath.match(FEED_PATH);
  if (!match) return notFound(site, res, rawPath);
  let path: string;
  try {
    // Only a lookup key in a Map: no path from a URL ever reaches the filesystem.
    path = decodeURIComponent(match[1]!);
  } catch {
    return sendText(res, 400, 'bad percent-encoding in URL\n');
  }
  const feed = site.feed(path, match[2] as FeedFormat);
  if (!feed) return notFound(site, res, rawPath);
  sendRendered(site, req, res, feed, match[1]!.startsWith('tags/') ? 'tag' : match[1]!.startsWith('sources/') ? 'source' : 'latest', site.maxAgeSeconds());
}

function sendRendered(site: ServedSite, req: IncomingMessage, res: ServerResponse, doc: RenderedFeed | undefined, name: string, maxAge: number): void {
  if (!doc) return notFound(site, res, name);
  const headers = headersOf(doc, maxAge);
  if (isNotModified(req.headers, doc.etag, doc.lastModified)) {
    site.onRequest?.(name, 304);
    res.writeHead(304, headers.notModified);
    res.end();
    return;
  }
  const encoding = pickEncoding(req.headers['accept-encoding']);
  const body = encoding === 'br' ? doc.brotli : encoding === 'gzip' ? doc.gzip : doc.body;
  site.onRequest?.(name, 200);
  res.writeHead(200, headers[encoding]);
  res.end(req.method === 'HEAD' ? undefined : body);
}

interface PreparedHeaders {
  maxAge: number;
  notModified: OutgoingHttpHeaders;
  identity: OutgoingHttpHeaders;
  gzip: OutgoingHttpHeaders;
  br: OutgoingHttpHeaders;
}

/**
 * A document's response headers, built once per document and cache age rather than per request: eight
 * setHeader calls (each validating and lower-casing its name) cost more than the rest of the route, and
 * writeHead takes a ready object as it is. Keyed weakly by the document, so a re-render drops them with it.
 */
const preparedHeaders = new WeakMap<RenderedFeed, PreparedHeaders>();

function headersOf(doc: RenderedFeed, maxAge: number): PreparedHeaders {
  const cached = preparedHeaders.get(doc);
  if (cached && cached.maxAge === maxAge) return cached;
  const common = {
    'content-type': doc.contentType,
    etag: doc.etag,
    'last-modified': doc.lastModified,
    'cache-control': maxAge > 0 ? `public, max-age=${maxAge}` : 'no-cache',
    vary: 'Accept-Encoding',
    'access-control-allow-origin': '*',
  };
  const prepared = {
    maxAge,
    notModified: common,
    identity: { ...common, 'content-length': doc.body.length },
    gzip: { ...common, 'content-encoding': 'gzip', 'content-length': doc.gzip.length },
    br: { ...common, 'content-encoding': 'br', 'content-length': doc.brotli.length },
  };
  preparedHeaders.set(doc, prepared);
  return prepared;
}

function notFound(site: ServedSite, res: ServerResponse, name: string): void {
  site.onRequest?.('not-found', 404);
  sendText(res, 404, `not found: ${name.slice(0, 200)}\n`);
}

function sendJson(res: ServerResponse, req: IncomingMessage, status: number, value: unknown): void {
  const body = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  const body = Buffer.from(text);
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': body.length });
  res.end(body);
}
