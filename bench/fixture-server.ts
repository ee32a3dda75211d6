// A fixture server for the benchmarks, run in its own process so its work is not counted as ours:
// /feeds/<n>.xml is an RSS feed of ITEMS items (bench/fixture-feed.ts), with an ETag; a matching
// If-None-Match gets a 304. Prints its port on stdout once listening.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixtureFeed } from './fixture-feed.ts';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 20);
const cache = new Map<number, { body: Buffer; etag: string }>();

function feed(n: number): { body: Buffer; etag: string } {
  const hit = cache.get(n);
  if (hit) return hit;
  const body = fixtureFeed(n, ITEMS);
  const entry = { body, etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"` };
  cache.set(n, entry);
  return entry;
}

const server = createServer((req, res) => {
  const match = req.url?.match(/^\/feeds\/(\d+)\.xml$/);
  if (!match) {
    res.writeHead(404).end();
    return;
  }
  const { body, etag } = feed(Number(match[1]));
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-length': body.length, etag });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
