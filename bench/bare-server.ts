// The reference of the serve benchmark: a bare node:http server answering, from memory, the bytes and headers
// Tributary answered for the same request (recorded by bench/serve.ts), with the least work a conditional,
// compressed feed allows. Usage: tsx bench/bare-server.ts SNAPSHOT_JSON
import { readFileSync } from 'node:fs';
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import { serveParent } from './child.ts';

export interface RecordedResponse {
  status: number;
  headers: OutgoingHttpHeaders;
  /** base64 */
  body: string;
}

/** What Tributary answered for one path: plain, gzip, and 304 to its own ETag. */
export interface RecordedFeed {
  etag: string;
  identity: RecordedResponse;
  gzip: RecordedResponse;
  notModified: RecordedResponse;
}

interface Prepared {
  etag: string;
  variants: Record<'identity' | 'gzip' | 'notModified', { status: number; headers: OutgoingHttpHeaders; body: Buffer }>;
}

const recorded = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<string, RecordedFeed>;
const routes = new Map<string, Prepared>();
for (const [path, feed] of Object.entries(recorded)) {
  const prepare = (r: RecordedResponse) => ({ status: r.status, headers: r.headers, body: Buffer.from(r.body, 'base64') });
  routes.set(path, { etag: feed.etag, variants: { identity: prepare(feed.identity), gzip: prepare(feed.gzip), notModified: prepare(feed.notModified) } });
}
const server = createServer((req, res) => {
  const route = routes.get(req.url!);
  if (!route) {
    res.writeHead(404).end();
    return;
  }
  const variant = req.headers['if-none-match'] === route.etag ? route.variants.notModified
    : req.headers['accept-encoding']?.includes('gzip') ? route.variants.gzip : route.variants.identity;
  res.writeHead(variant.status, variant.headers);
  res.end(variant.status === 304 ? undefined : variant.body);
});
// Tributary's limits on slow clients (src/serve/server.ts), so that only the request handler differs.
server.requestTimeout = 30_000;
server.headersTimeout = 10_000;
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => serveParent(server, () => new Promise((resolve) => {
  server.close(() => resolve());
  server.closeAllConnections();
})));
