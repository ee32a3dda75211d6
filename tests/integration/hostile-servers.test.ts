// Servers that trickle, flood, bomb, hang at connect or answer with something else than a feed: each is a
// clear error recorded on its source, never a crash, never unbounded memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { Transform } from 'node:stream';
import { constants as zlib, createBrotliCompress, createGzip } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { openTestApp, rssFeed, type TestApp, type TestSource } from '../helpers/test-app.ts';

const fx = new FixtureServer();
const opened: App[] = [];
const MiB = 1024 * 1024;

beforeAll(async () => {
  await fx.start();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((app) => app.close()));
});
afterAll(async () => {
  await fx.stop();
});

async function fetchOne(source: TestSource, fetch: Record<string, unknown> = {}): Promise<TestApp> {
  const t = await openTestApp([source], fetch);
  opened.push(t.app);
  await t.app.runCycle();
  return t;
}

/** `size` zero bytes compressed, streamed through zlib so the test never holds them. */
async function compressedZeros(size: number, compressor: Transform): Promise<Buffer> {
  const out: Buffer[] = [];
  compressor.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((resolve) => compressor.on('end', resolve));
  const zeros = Buffer.alloc(MiB);
  for (let sent = 0; sent < size; sent += zeros.length) {
    if (!compressor.write(zeros)) await new Promise((resolve) => compressor.once('drain', resolve));
  }
  compressor.end();
  await done;
  return Buffer.concat(out);
}

const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

describe('limits', () => {
  it('cuts off a server that trickles bytes forever at the total timeout', async () => {
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    fx.routes.set('/trickle.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>');
      const timer = setInterval(() => res.write('.'), 20);
      res.on('close', () => {
        clearInterval(timer);
        closed();
      });
    });
    const { app } = await fetchOne({ id: 'trickle', url: fx.url('/trickle.xml') }, { timeoutSeconds: 0.5 });
    const state = app.store.sourceState('trickle');
    expect(state).toMatchObject({ consecutiveFailures: 1, httpStatus: 200 });
    expect(state.lastError).toContain('no complete response within 500 ms');
    expect(state.nextFetch).toBeDefined();
    await connectionClosed;
  });

  it('stops reading a 100 MB body at fetch.maxBytes, and the server is made to stop sending', async () => {
    let sent = 0;
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    fx.routes.set('/huge.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (sent < 100 * MiB) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', closed);
      pump();
    });
    const before = peakRssMiB();
    const { app } = await fetchOne({ id: 'huge', url: fx.url('/huge.xml') }, { maxBytes: MiB });
    const state = app.store.sourceState('huge');
    expect(state.lastError).toContain(`body exceeds the limit of ${MiB} bytes (after decompression)`);
    expect(state).toMatchObject({ consecutiveFailures: 1, httpStatus: 200 });
    await connectionClosed;
    expect(sent).toBeLessThan(32 * MiB);
    expect(peakRssMiB() - before).toBeLessThan(64);
  });

  it('refuses a declared Content-Length over the cap without reading the body', async () => {
    fx.routes.set('/declared.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': String(100 * MiB) });
      res.write('<rss>');
      res.on('error', () => {});
    });
    const { app } = await fetchOne({ id: 'declared', url: fx.url('/declared.xml') }, { maxBytes: MiB });
    expect(app.store.sourceState('declared').lastError).toContain(`body of ${100 * MiB} bytes exceeds the limit of ${MiB} bytes`);
  });

  it.each([
    ['gzip', () => createGzip({ level: 9 })],
    ['br', () => createBrotliCompress({ params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } })],
  ])('stops a %s bomb (256 MiB of zeros) at the cap, memory flat', async (encoding, compressor) => {
    const bomb = await compressedZeros(256 * MiB, compressor());
    expect(bomb.length).toBeLessThan(MiB);
    fx.routes.set(`/bomb-${encoding}.xml`, { headers: { 'content-type': 'application/rss+xml', 'content-encoding': encoding }, body: bomb });
    const before = peakRssMiB();
    const { app } = await fetchOne({ id: `bomb-${encoding}`, url: fx.url(`/bomb-${encoding}.xml`) }, { maxBytes: 2 * MiB });
    expect(app.store.sourceState(`bomb-${encoding}`).lastError).toContain(`body exceeds the limit of ${2 * MiB} bytes (after decompression)`);
    expect(peakRssMiB() - before).toBeLessThan(64);
  });
});

describe('connect timeout', () => {
  let child: ChildProcess;
  const fillers: Socket[] = [];
  afterAll(() => {
    for (const s of fillers) s.destroy();
    child?.kill('SIGKILL');
  });

  it('gives up on a host that never completes the TCP handshake after fetch.connectTimeoutSeconds', async () => {
    // A listener whose process stops accepting: once its backlog is full the kernel drops further SYNs,
    // which is what a dead or firewalled host looks like from here.
    child = spawn(process.execPath, ['-e', `const s = require('net').createServer();
      s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
        console.log(s.address().port);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
      });`], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    for (let i = 0; i < 4; i++) fillers.push(connect(port, '127.0.0.1').on('error', () => {}));
    const { app } = await fetchOne({ id: 'blackhole', url: `http://127.0.0.1:${port}/feed.xml` }, { connectTimeoutSeconds: 0.3, timeoutSeconds: 10 });
    const state = app.store.sourceState('blackhole');
    expect(state.lastError).toContain('could not connect within 300 ms');
    expect(state.httpStatus).toBeUndefined();
    expect(state.consecutiveFailures).toBe(1);
  });
});

describe('responses that are not feeds', () => {
  it('reports a web page that links its feed with that feed\'s URL', async () => {
    fx.routes.set('/news/index.html', { headers: { 'content-type': 'text/html; charset=utf-8' }, body: `<!DOCTYPE html>
<html><head><title>News</title>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/rss+xml" title="All news" href="/news/rss.xml">
</head><body><h1>News</h1></body></html>` });
    const { app } = await fetchOne({ id: 'page', url: fx.url('/news/index.html') });
    const state = app.store.sourceState('page');
    expect(state.lastError).toBe(`source page (${fx.url('/news/index.html')}): this is a web page; its feed is at ${fx.url('/news/rss.xml')} (set that as the source's url)`);
    expect(state).toMatchObject({ consecutiveFailures: 1, httpStatus: 200 });
    expect(app.store.items()).toHaveLength(0);
  });

  it.each([
    ['a web page without a feed link', { 'content-type': 'text/html' }, '<html><body>Welcome</body></html>', 'this is a web page, not a feed, and it links no feed'],
    ['an empty body', { 'content-type': 'application/rss+xml' }, '', 'empty response body'],
    ['a JSON error', { 'content-type': 'application/json' }, '{"error":"rate limit exceeded"}', 'not a feed: JSON without a JSON Feed "version" and "items" (it says "rate limit exceeded")'],
    ['plain text', { 'content-type': 'text/plain' }, 'OK', 'not a feed: the body starts with "OK"'],
    ['broken XML', { 'content-type': 'text/xml' }, '<rss><channel><title>x</rss', 'unparsable XML'],
  ])('records %s as a clear error on the source', async (name, headers, body, message) => {
    const path = `/not-a-feed-${name.replace(/\W+/g, '-')}`;
    fx.routes.set(path, { headers, body });
    const { app } = await fetchOne({ id: 'odd', url: fx.url(path) });
    const state = app.store.sourceState('odd');
    expect(state.lastError).toContain(message);
    expect(state.lastError).toContain(`source odd (${fx.url(path)})`);
    expect(state).toMatchObject({ consecutiveFailures: 1, httpStatus: 200 });
  });

  it('keeps the other sources of the cycle going', async () => {
    fx.routes.set('/fine.xml', { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('Fine') });
    fx.routes.set('/empty.xml', { body: '' });
    const t = await openTestApp([{ id: 'empty', url: fx.url('/empty.xml') }, { id: 'fine', url: fx.url('/fine.xml') }]);
    opened.push(t.app);
    const report = await t.app.runCycle();
    expect(report.sources.map((s) => [s.sourceId, s.status]).sort()).toEqual([['empty', 'error'], ['fine', 'ok']]);
    expect(t.app.store.items().map((i) => i.title).sort()).toEqual(['Fine 1', 'Fine 2', 'Fine 3']);
  });
});
