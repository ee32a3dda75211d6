// A fixture server for the benchmarks, run in its own process so its work is not counted as ours:
// /feeds/<n>.xml is an RSS feed of ITEMS items (bench/fixture-feed.ts), with an ETag; a matching
// If-None-Match gets a 304. Prints its port on stdout once listening.
//
// For the benchmarks that check who fetched what (bench/pg.ts), it counts the requests per feed and keeps the time
// of the last one: GET /counts answers { counts: { n: requests }, last: { n: epoch ms }, first: epoch ms,
// maxInFlight }, POST /reset forgets them. POST /round/<r> moves every feed on by r × ROUND_STEP stories (items
// r × ROUND_STEP to r × ROUND_STEP + ITEMS - 1): the next fetch of each source finds ROUND_STEP new items.
//
// BENCH_DELAY_MS (default 0: answered at once) holds each feed's answer that long before its headers, as a distant
// feed server's latency would, each request on its own timer (others are read and answered meanwhile). /counts
// also says the most feed requests it held at once (maxInFlight): what the instances' concurrency and per-host
// politeness let through together.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixtureFeed } from './fixture-feed.ts';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 20);
const ROUND_STEP = Number(process.env.BENCH_ROUND_STEP ?? 2);
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 0);
const cache = new Map<string, { body: Buffer; etag: string }>();
let round = 0;
let counts = new Map<number, number>();
let last = new Map<number, number>();
let first: number | undefined;
let inFlight = 0;
let maxInFlight = 0;

function feed(n: number): { body: Buffer; etag: string } {
  const key = `${n}/${round}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const body = fixtureFeed(n, ITEMS, round * ROUND_STEP);
  const entry = { body, etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"` };
  cache.set(key, entry);
  return entry;
}

function control(method: string, url: string): unknown {
  if (method === 'GET' && url === '/counts') {
    return { counts: Object.fromEntries(counts), last: Object.fromEntries(last), maxInFlight, ...(first === undefined ? {} : { first }) };
  }
  if (method === 'POST' && url === '/reset') {
    counts = new Map();
    last = new Map();
    first = undefined;
    maxInFlight = inFlight;
    return { ok: true };
  }
  const next = method === 'POST' ? url.match(/^\/round\/(\d+)$/) : null;
  if (next) {
    round = Number(next[1]);
    cache.clear();
    return { round };
  }
  return undefined;
}

const server = createServer((req, res) => {
  const match = req.url?.match(/^\/feeds\/(\d+)\.xml$/);
  if (!match) {
    const answer = control(req.method ?? 'GET', req.url ?? '');
    if (answer === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    return;
  }
  const n = Number(match[1]);
  const now = Date.now();
  counts.set(n, (counts.get(n) ?? 0) + 1);
  last.set(n, now);
  first ??= now;
  maxInFlight = Math.max(maxInFlight, ++inFlight);
  // Held until its answer is written, or until the client gives up first (its 'close'): counted down once either way.
  let held = true;
  const done = () => {
    if (held) inFlight--;
    held = false;
  };
  res.once('close', done);
  const answer = () => {
    respond(req, res, n);
    done();
  };
  if (DELAY_MS > 0) setTimeout(answer, DELAY_MS);
  else answer();
});

function respond(req: IncomingMessage, res: ServerResponse, n: number): void {
  if (res.destroyed) return;
  const { body, etag } = feed(n);
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag }).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-length': body.length, etag });
  res.end(body);
}

server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
