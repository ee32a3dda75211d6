// Serving benchmark: autocannon (in this process) against Tributary (the real App, in a child process) and
// against a bare node:http server (another child) that answers the bytes and headers Tributary answered,
// from memory. Each case loads one server, then the other (the order alternates from case to case), so every
// figure has its reference from the same minute of a shared, noisy machine.
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { ItemStore } from '../src/store/store.ts';
import type { RecordedFeed, RecordedResponse } from './bare-server.ts';
import { startServerChild, type ServerChild } from './child.ts';
import { benchConfigYaml, benchItem, benchItems, benchSources } from './items.ts';
import type { BenchRow } from './report.ts';
import { run as runDuringCycle, SERVE_CYCLE_PROFILES, type ServeCycleOptions } from './serve-cycle.ts';

export interface ServeOptions {
  /** seconds of load on each server per case */
  seconds: number;
  /**
   * the seconds are given in this many turns per server, alternating (Tributary, bare, bare, Tributary, …), so
   * that a slow spell of the shared machine weighs on both alike
   */
  turns: number;
  connections: number;
  /** seconds of load on each server before the first measurement, so both are measured with warm JIT */
  warmupSeconds: number;
  /** then the latest feed of a service while it runs a fetch cycle (bench/serve-cycle.ts); none without */
  cycle?: ServeCycleOptions;
}

export const SERVE_PROFILES: Record<'full' | 'quick', ServeOptions> = {
  full: { seconds: 10, turns: 5, connections: 50, warmupSeconds: 2, cycle: SERVE_CYCLE_PROFILES.full },
  quick: { seconds: 1, turns: 1, connections: 50, warmupSeconds: 0.25, cycle: SERVE_CYCLE_PROFILES.quick },
};

/** Items of full articles (~3 KB of content besides the summary), so that 50 of them make a ~200 KB Atom feed. */
const CONTENT_CHARS = 3000;
/** The feeds loaded: the latest feed (50 items) and one source's own feed of 5 items, to show how cost grows with size. */
const FEEDS = [
  { path: '/feeds/latest.atom', items: 50 },
  { path: '/feeds/sources/brief.atom', items: 5 },
];
const VARIANTS = [
  { name: 'identity', label: '200', status: 200 },
  { name: 'gzip', label: 'gzip 200', status: 200 },
  { name: 'notModified', label: '304 to If-None-Match', status: 304 },
] as const;

interface Load {
  seconds: number;
  /** requests per second of each turn, for the spread */
  turns: number[];
  requestsPerSecond: number;
  bytesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** server CPU time per request, in µs */
  cpuUsPerRequest: number;
  requests: number;
  peakRssMiB: number;
}

async function runAgainstBare(options: ServeOptions): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-serve-'));
  const servers: ServerChild[] = [];
  try {
    const config = join(dir, 'sources.yaml');
    const data = join(dir, 'data');
    await prepareSite(config, data);
    const ours = await startServerChild('serve-target.ts', [config, data]);
    servers.push(ours);
    const recorded: Record<string, RecordedFeed> = {};
    for (const feed of FEEDS) recorded[feed.path] = await recordFeed(ours.port, feed.path);
    const snapshot = join(dir, 'recorded.json');
    writeFileSync(snapshot, JSON.stringify(recorded));
    const bare = await startServerChild('bare-server.ts', [snapshot]);
    servers.push(bare);
    for (const feed of FEEDS) await assertSameAnswers(recorded[feed.path]!, await recordFeed(bare.port, feed.path), feed.path);

    if (options.warmupSeconds > 0) {
      for (const server of [ours, bare]) {
        for (const variant of VARIANTS) {
          await load(server, FEEDS[0]!.path, headersFor(variant.name, recorded[FEEDS[0]!.path]!), variant.status, options.connections, options.warmupSeconds);
        }
      }
    }
    const rows: BenchRow[] = [];
    let turn = 0;
    for (const feed of FEEDS) {
      const size = Buffer.from(recorded[feed.path]!.identity.body, 'base64').length;
      for (const variant of VARIANTS) {
        const headers = headersFor(variant.name, recorded[feed.path]!);
        // Alternate who goes first, so a slow spell of the machine does not always fall on the same server.
        const first = turn++ % 2 === 0 ? [ours, bare] : [bare, ours];
        const turns = new Map<ServerChild, Load[]>([[ours, []], [bare, []]]);
        for (let i = 0; i < options.turns; i++) {
          for (const server of i % 2 === 0 ? first : [...first].reverse()) {
            turns.get(server)!.push(await load(server, feed.path, headers, variant.status, options.connections, options.seconds / options.turns));
          }
        }
        const a = combine(turns.get(ours)!);
        const b = combine(turns.get(bare)!);
        rows.push({
          module: 'serve',
          name: `${feed.path.slice('/feeds/'.length)} (${feed.items} items, ${Math.round(size / 1024)} KB) ${variant.label}`,
          measured: { value: a.requestsPerSecond, unit: 'req/s' },
          reference: { value: b.requestsPerSecond, unit: 'req/s', name: 'bare node:http' },
          ratio: a.requestsPerSecond / b.requestsPerSecond,
          goal: { text: '>= 0.8 of bare', met: a.requestsPerSecond / b.requestsPerSecond >= 0.8 },
          peakRssMiB: a.peakRssMiB,
          notes: `serve ${feed.path} ${variant.label}, ${options.connections} connections, ${options.seconds} s on each server `
            + `(${options.turns} turns): `
            + `Tributary ${describe(a)}; bare ${describe(b)}; server CPU per request ${(a.cpuUsPerRequest / b.cpuUsPerRequest).toFixed(2)}x bare`,
          detail: { ours: a, bare: b, bodyBytes: size, headers },
        });
      }
    }
    return rows;
  } finally {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The serve cases against the bare server, then serving during a cycle (its own service, store and sources). */
export async function run(options: ServeOptions): Promise<BenchRow[]> {
  const rows = await runAgainstBare(options);
  return options.cycle ? [...rows, ...await runDuringCycle(options.cycle)] : rows;
}

function describe(l: Load): string {
  return `${Math.round(l.requestsPerSecond)} req/s (turns ${l.turns.join('/')}), ${(l.bytesPerSecond / 2 ** 20).toFixed(0)} MiB/s, `
    + `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms (worst turn), ${l.cpuUsPerRequest.toFixed(0)} µs CPU/req`;
}

/** Ten sources of 50 full-article items each (the latest feed's 50 come from them) and "brief", a source of 5. */
export async function prepareSite(configFile: string, dataDir: string): Promise<void> {
  const sources = benchSources(10);
  writeFileSync(configFile, benchConfigYaml([...sources, { id: 'brief', tags: ['brief'] }]));
  const store = await ItemStore.open(dataDir);
  const brief = Array.from({ length: 5 }, (_, n) => benchItem('brief', n, { ageMinutes: 10_000 + n, contentChars: CONTENT_CHARS }));
  store.apply([...benchItems(sources, 50, { contentChars: CONTENT_CHARS }), ...brief], []);
  await store.commit();
}

function headersFor(variant: (typeof VARIANTS)[number]['name'], feed: RecordedFeed): Record<string, string> {
  if (variant === 'gzip') return { 'accept-encoding': 'gzip' };
  if (variant === 'notModified') return { 'if-none-match': feed.etag };
  return {};
}

/** Turns of one server: requests per second over their whole time, and the worst latencies. */
function combine(turns: Load[]): Load {
  const seconds = turns.reduce((n, t) => n + t.seconds, 0);
  const requests = turns.reduce((n, t) => n + t.requests, 0);
  return {
    seconds,
    turns: turns.flatMap((t) => t.turns),
    requests,
    requestsPerSecond: requests / seconds,
    bytesPerSecond: turns.reduce((n, t) => n + t.bytesPerSecond * t.seconds, 0) / seconds,
    p50Ms: Math.max(...turns.map((t) => t.p50Ms)),
    p99Ms: Math.max(...turns.map((t) => t.p99Ms)),
    cpuUsPerRequest: turns.reduce((n, t) => n + t.cpuUsPerRequest * t.requests, 0) / requests,
    peakRssMiB: Math.max(...turns.map((t) => t.peakRssMiB)),
  };
}

/** Turns in a row that may end without a single answer before the load fails (see load()). */
const EMPTY_TURNS = 3;

async function load(server: ServerChild, path: string, headers: Record<string, string>, status: number, connections: number, seconds: number): Promise<Load> {
  // autocannon checks whether its duration has passed only once per sample (1 s by default): a turn shorter than a
  // second would last a whole second without a shorter sample interval.
  const sampleInt = Math.min(1000, seconds * 1000);
  let before = await server.cpuMs();
  let result = await autocannon({ url: `http://127.0.0.1:${server.port}${path}`, connections, duration: seconds, sampleInt, headers });
  // A short turn (the test's quarter second) on a machine far busier than its cores can end before the first answer
  // comes back: it measured nothing (0 requests, a ratio of 0/0), so it is run again, the server warm by then.
  for (let empty = 1; result.requests.total === 0 && empty < EMPTY_TURNS; empty++) {
    before = await server.cpuMs();
    result = await autocannon({ url: `http://127.0.0.1:${server.port}${path}`, connections, duration: seconds, sampleInt, headers });
  }
  const after = await server.cpuMs();
  const codes = Object.keys(result.statusCodeStats ?? {});
  if (result.errors > 0 || result.timeouts > 0 || codes.some((code) => Number(code) !== status)) {
    throw new Error(`load of ${path} on port ${server.port}: ${result.errors} errors, ${result.timeouts} timeouts, statuses ${codes.join(', ')} (expected ${status})`);
  }
  const requests = result.requests.total;
  if (requests === 0) throw new Error(`load of ${path} on port ${server.port}: no answer in ${EMPTY_TURNS} turns of ${seconds} s`);
  return {
    seconds: result.duration,
    turns: [Math.round(requests / result.duration)],
    requestsPerSecond: requests / result.duration,
    // throughput.average is bytes per sample, and a sample is no longer always a second
    bytesPerSecond: result.throughput.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuUsPerRequest: ((after.cpuMs - before.cpuMs) * 1000) / requests,
    requests,
    peakRssMiB: after.peakRssMiB,
  };
}

/** What the server answers on `path`: plain, gzip, and 304 to its ETag; raw bytes, as sent. */
async function recordFeed(port: number, path: string): Promise<RecordedFeed> {
  const identity = await get(port, path, {});
  const etag = String(identity.headers.etag);
  return { etag, identity, gzip: await get(port, path, { 'accept-encoding': 'gzip' }), notModified: await get(port, path, { 'if-none-match': etag }) };
}

function get(port: number, path: string, headers: Record<string, string>): Promise<RecordedResponse> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        // Per-connection headers the server adds by itself, on both servers alike.
        const { date: _d, connection: _c, 'keep-alive': _k, 'transfer-encoding': _t, ...kept } = res.headers;
        resolve({ status: res.statusCode!, headers: kept, body: Buffer.concat(chunks).toString('base64') });
      });
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

async function assertSameAnswers(ours: RecordedFeed, bare: RecordedFeed, path: string): Promise<void> {
  for (const variant of VARIANTS) {
    const a = ours[variant.name];
    const b = bare[variant.name];
    if (a.status !== variant.status || a.status !== b.status || a.body !== b.body || JSON.stringify(a.headers) !== JSON.stringify(b.headers)) {
      throw new Error(`the bare server's ${variant.name} answer on ${path} differs from Tributary's: `
        + `${a.status} ${JSON.stringify(a.headers)} vs ${b.status} ${JSON.stringify(b.headers)}`);
    }
  }
}
