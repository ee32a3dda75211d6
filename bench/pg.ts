// npm run bench -- pg: the figures issue 16 asks of the PostgreSQL store, each beside its reference measured in the
// same run, on a throwaway PostgreSQL cluster (tests/helpers/pg-cluster.ts) and the compiled CLI:
//   big store    1M items prepared by COPY (bench/pg-fill.ts); a cycle of 1,000 sources x 20 items by one
//                `tributary serve` against `fetch --once` of the same sources on the embedded store at 10k items,
//                then a second instance (role serve) beside it: the peak RSS of each against 300 MB;
//   scale        one, two and three instances on a fresh database of 2,000 sources (bench/pg-scale.ts): CPU-bound,
//                the fixture server answers at once;
//   scale-latency the same over 600 sources whose answers each come 500 ms after the request, as a distant feed
//                server's do: latency-bound, the case where a second instance's leases pay; then two instances
//                sharing a host limit of 8 requests at once (politeness over instances);
//   fault        kill -9 one of three instances mid-cycle, 20 times (bench/pg-fault.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startPgCluster, type PgCluster } from '../tests/helpers/pg-cluster.ts';
import { benchFile, runChild } from './child.ts';
import { benchSources } from './items.ts';
import { faultRounds, faultRow, type FaultOptions } from './pg-fault.ts';
import { fillPgStore } from './pg-fill.ts';
import { clusterCpuSeconds, processCpuSeconds, readerGet, startFixtureChild, startInstance, type FixtureChild } from './pg-processes.ts';
import { scaleCaseRows, type ScaleOptions } from './pg-scale.ts';
import { connect, storedCounts, waitFor, writeSiteConfig } from './pg-site.ts';
import { formatTable, type BenchRow } from './report.ts';

export interface PgBenchOptions {
  /** stored items of the big-store case, over `cycleSources` sources */
  storedItems: number;
  cycleSources: number;
  /** items stored before the embedded store's fetch --once (the reference) */
  lowdbStored: number;
  scale: ScaleOptions;
  /** the latency-bound scale case: the fixture server holds each answer `delayMs` */
  scaleLatency: ScaleOptions;
  fault: FaultOptions;
}

/**
 * The latency-bound case's delay: real feed servers answer in 100 ms to 2 s, and 500 ms is about the middle of that
 * range on a log scale (√(0.1 × 2) ≈ 0.45 s). It is ten times what a source costs in CPU (instance and PostgreSQL:
 * ~35 ms in the CPU-bound case, 55-70 ms here with starts and renders spread over fewer sources), so an instance
 * mostly waits, as in production; short enough that one instance's 600 sources take a minute or so, not ten.
 */
const LATENCY_MS = 500;

export const PG_PROFILES: Record<'full' | 'quick', PgBenchOptions> = {
  full: {
    storedItems: 1_000_000, cycleSources: 1000, lowdbStored: 10_000,
    scale: { sources: 2000, items: 20, instances: [1, 2, 3], concurrency: 8, goal: true },
    // one instance: 600 / 8 = 75 rounds of a 500 ms wait and the batch's writes: 38 s at the very least, 74-100 s measured
    scaleLatency: { sources: 600, items: 20, instances: [1, 2, 3], concurrency: 8, delayMs: LATENCY_MS, goal: true },
    fault: { sources: 500, rounds: 20, leaseSeconds: 10, concurrency: 8 },
  },
  quick: {
    storedItems: 10_000, cycleSources: 50, lowdbStored: 500,
    scale: { sources: 100, items: 20, instances: [1, 2, 3], concurrency: 8 },
    // one instance: 6 rounds, 6-8 s measured (its start overlaps them)
    scaleLatency: { sources: 48, items: 20, instances: [1, 2, 3], concurrency: 8, delayMs: LATENCY_MS },
    fault: { sources: 60, rounds: 2, leaseSeconds: 5, concurrency: 8 },
  },
};

/** issue 16: each instance's RSS under 300 MB at 1M stored items (MB, not MiB: 286 MiB) */
export const INSTANCE_GOAL_MIB = 300e6 / 2 ** 20;
/** items in each fixture feed, and the new ones each fault round brings */
const ITEMS = 20;
const ROUND_STEP = 2;

/**
 * The cases, in the order they run; `npm run bench -- pg --pg-case big` runs one. `memory` (not run by default) is the
 * big store's instances and their peak RSS without the embedded store's reference cycle; `big` includes both.
 */
export const PG_CASES = ['big', 'scale', 'scale-latency', 'fault'] as const;

export async function run(options: PgBenchOptions, cases: readonly string[] = PG_CASES): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-pg-'));
  const { ensureBuilt } = await import('../scripts/build.js');
  await ensureBuilt();
  const cluster = await startPgCluster();
  const fixture = await startFixtureChild(ITEMS, ROUND_STEP);
  try {
    const rows: BenchRow[] = [];
    if (cases.includes('big') || cases.includes('memory')) {
      rows.push(...await bigStoreRows(cluster, fixture, dir, options, cases.includes('big')));
      // Each stage's rows as soon as they are measured: a long run stopped later still leaves its figures.
      process.stderr.write(formatTable(rows));
    }
    if (cases.includes('scale')) {
      const scaled = await scaleCaseRows(cluster, fixture, dir, options.scale, cpus().length);
      process.stderr.write(formatTable(scaled));
      rows.push(...scaled);
    }
    if (cases.includes('scale-latency')) {
      // A fixture server of its own, holding every answer: the other cases' stays prompt.
      const distant = await startFixtureChild(ITEMS, ROUND_STEP, options.scaleLatency.delayMs);
      try {
        const scaled = await scaleCaseRows(cluster, distant, dir, options.scaleLatency, cpus().length);
        process.stderr.write(formatTable(scaled));
        rows.push(...scaled);
      } finally {
        distant.stop();
      }
    }
    if (cases.includes('fault')) {
      process.stderr.write(`pg: fault test, ${options.fault.rounds} rounds…\n`);
      rows.push(faultRow(await faultRounds(cluster, fixture, dir, ITEMS, ROUND_STEP, options.fault), options.fault, ROUND_STEP));
    }
    return rows;
  } finally {
    fixture.stop();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The big store: the embedded store's fetch --once first (the reference), then the database filled by COPY, one
 * instance fetching the same sources over it, and a serving replica beside it.
 */
async function bigStoreRows(cluster: PgCluster, fixture: FixtureChild, dir: string, options: PgBenchOptions, withReference = true): Promise<BenchRow[]> {
  const sources = benchSources(options.cycleSources);
  const reference = withReference ? await lowdbCycle(fixture, dir, options) : undefined;
  process.stderr.write(`pg: filling ${options.storedItems.toLocaleString('en-US')} items…\n`);
  const url = await cluster.createDatabase('bench_big');
  const perSource = Math.ceil(options.storedItems / options.cycleSources);
  const config = join(dir, 'big.yaml');
  const parsed = writeSiteConfig(config, { sources, feedUrl: fixture.feedUrl, concurrency: 8, leaseSeconds: 300, maxItemsPerSource: perSource + ITEMS });
  // Item numbers 0-9 and 20 on: the feeds' items 0-9 are stored (updated by the cycle) and 10-19 new, as in the
  // embedded store's reference at 10 items a source.
  const fill = await fillPgStore(url, parsed, sources, perSource, (i) => (i < 10 ? i : i + 10));
  // The fill writes each row's tags but not what they were computed from, so a first renderer would compute every
  // stored item's tags again (store/pg/retag.ts: once per store, minutes at 1M items), beside the cycle measured
  // here. A serving instance (it does not fetch) renders and publishes once first, then stops.
  process.stderr.write(`pg: ${fill.items.toLocaleString('en-US')} items filled in ${fill.seconds.toFixed(0)} s; a first render…\n`);
  const warmStarted = performance.now();
  mkdirSync(join(dir, 'big-warm'), { recursive: true });
  const warm = await startInstance(config, url, join(dir, 'big-warm'), join(dir, 'big-warm.peak.json'), 'serve');
  await waitFor('the first render over the big store', () => readerGet(warm.port, '/feeds/latest.atom'), (a) => a.status === 200, 60 * 60_000, 1000);
  const warmed = { ...await warm.stop(), seconds: (performance.now() - warmStarted) / 1000 };
  process.stderr.write(`pg: first render in ${warmed.seconds.toFixed(0)} s; one instance fetching ${options.cycleSources} sources over them…\n`);
  await fixture.reset();
  const db = await connect(url);
  const data = join(dir, 'big-a');
  mkdirSync(data, { recursive: true });
  const cpu0 = clusterCpuSeconds(cluster.dir);
  const fetcher = await startInstance(config, url, data, join(dir, 'big-a.peak.json'));
  // What the start cost (loading, the first render begun): the cycle's own CPU is the rest.
  const readyCpu = fetcher.cpuSeconds();
  let replica;
  try {
    const cycleLine = await waitFor('the cycle over the big store', async () => fetcher.log().match(/"msg":"(cycle: (\d+) sources[^"]*, ([\d.]+) s)"/), (m) => m !== null, 60 * 60_000, 500);
    const cycleSeconds = Number(cycleLine![3]);
    const afterCycle = { instance: processCpuSeconds(fetcher.pid), database: clusterCpuSeconds(cluster.dir) - cpu0, instanceAtReady: readyCpu };
    const stored = await storedCounts(db);
    const counts = await fixture.counts();
    // Served once rendered: the replica starts on the published documents.
    await waitFor('the big store\'s feeds to be published', () => readerGet(fetcher.port, '/feeds/latest.atom'), (a) => a.status === 200, 60 * 60_000, 1000);
    mkdirSync(join(dir, 'big-b'), { recursive: true });
    replica = await startInstance(config, url, join(dir, 'big-b'), join(dir, 'big-b.peak.json'), 'serve');
    const paths = ['/feeds/latest.atom', '/feeds/tags/tag-00.rss', '/feeds/sources/source-0.json', '/feeds/latest.json?page=3', '/'];
    let crossOk = 0;
    for (const path of paths) {
      const a = await readerGet(fetcher.port, path);
      const b = await readerGet(replica.port, path, a.etag);
      if (a.status === 200 && b.status === 304) crossOk++;
    }
    const replicaReadyMs = replica.readyMs;
    const [a, b] = [await fetcher.stop(), await replica.stop()];
    const peak = Math.max(a.peakRssMiB, b.peakRssMiB);
    const n = options.cycleSources;
    const requested = Object.values(counts.counts);
    const memory: BenchRow = {
        module: 'pg',
        name: `${options.storedItems.toLocaleString('en-US')} items stored: peak RSS of each instance`,
        measured: { value: peak, unit: 'MiB' },
        reference: { value: INSTANCE_GOAL_MIB, unit: 'MiB', name: 'the goal (300 MB)' },
        ratio: peak / INSTANCE_GOAL_MIB,
        ...(options.storedItems >= 1_000_000 ? { goal: { text: '< 300 MB each', met: peak < INSTANCE_GOAL_MIB } } : {}),
        peakRssMiB: peak,
        notes: `${fill.items.toLocaleString('en-US')} items of ${n} sources written by COPY (psql \\copy of generated rows, bench/pg-fill.ts) in ${fill.seconds.toFixed(0)} s, `
          + `then rendered once (the stored items' tags checked, the feeds published) by an instance of role serve in ${warmed.seconds.toFixed(0)} s (${warmed.cpuSeconds.toFixed(0)} s of CPU); `
          + `instance A (role all) ready in ${(fetcher.readyMs / 1000).toFixed(1)} s, fetched the ${n} sources and rendered: peak ${a.peakRssMiB.toFixed(0)} MiB; `
          + `instance B (role serve) started on the published feeds in ${(replicaReadyMs / 1000).toFixed(1)} s: peak ${b.peakRssMiB.toFixed(0)} MiB; `
          + `B answered A's ETag with 304 on ${crossOk} of ${paths.length} paths`,
        detail: { fill, warmed, fetcher: a, replica: b, fetcherReadyMs: fetcher.readyMs, replicaReadyMs, crossOk },
    };
    if (!reference) return [memory];
    return [
      memory,
      {
        module: 'pg',
        name: `cycle of ${n.toLocaleString('en-US')} sources x ${ITEMS} items, ${options.storedItems.toLocaleString('en-US')} stored: time`,
        measured: { value: cycleSeconds, unit: 's' },
        reference: { value: reference.cycleSeconds, unit: 's', name: `fetch --once, embedded store, ${options.lowdbStored.toLocaleString('en-US')} stored` },
        ratio: cycleSeconds / reference.cycleSeconds,
        ...(options.storedItems >= 1_000_000 ? { goal: { text: '<= 2x', met: cycleSeconds <= 2 * reference.cycleSeconds } } : {}),
        peakRssMiB: a.peakRssMiB,
        notes: `one instance's pass (its "cycle:" line): ${cycleLine![1]}; ${requested.length} of ${n} sources requested, ${requested.filter((c) => c > 1).length} twice; `
          + `${stored.items.toLocaleString('en-US')} items after it, ${stored.duplicates} stored twice. CPU to the cycle's end: instance ${afterCycle.instance.toFixed(0)} s `
          + `(start and first render included; ${readyCpu.toFixed(1)} s of it before listening), PostgreSQL ${afterCycle.database.toFixed(0)} s. Reference: the embedded store's cycle line: ${reference.line} `
          + `(fetch --once, same fixture feeds and fetch settings: concurrency 8, hostConcurrency 64; ${reference.cpuSeconds.toFixed(0)} s of CPU, peak ${reference.peakRssMiB.toFixed(0)} MiB)`,
        detail: { cycleSeconds, line: cycleLine![1], afterCycle, reference, stored },
      },
    ];
  } finally {
    await fetcher.stop();
    await replica?.stop();
    await db.end();
    // The big database is not needed by the next cases: its gigabytes leave the page cache to them.
    const admin = await connect(cluster.url);
    await admin.query('DROP DATABASE IF EXISTS bench_big WITH (FORCE)').finally(() => admin.end());
  }
}

interface LowdbCycle {
  cycleSeconds: number;
  line: string;
  cpuSeconds: number;
  peakRssMiB: number;
}

/** `tributary fetch --once` of the same sources on the embedded store with `lowdbStored` items stored before. */
async function lowdbCycle(fixture: FixtureChild, dir: string, options: PgBenchOptions): Promise<LowdbCycle> {
  const config = join(dir, 'lowdb.yaml');
  const data = join(dir, 'lowdb-data');
  const sources = benchSources(options.cycleSources);
  writeFileSync(config, stringify({
    title: 'Bench', baseUrl: 'http://127.0.0.1:8080', retention: { maxItemsPerSource: 500 },
    fetch: { concurrency: 8, hostConcurrency: 64, spreadSeconds: 0 },
    sources: sources.map((s, n) => ({ id: s.id, url: fixture.feedUrl(n), tags: s.tags })),
  }));
  await runChild('store-cycles.ts', ['prepare', data, String(options.lowdbStored), String(options.cycleSources)]);
  await fixture.reset();
  const peakFile = join(dir, 'lowdb.peak.json');
  const child = spawn(process.execPath, ['--import', benchFile('peak-at-exit.mjs'), benchFile('../bin/tributary.js'), 'fetch', '--once', '--config', config, '--data', data], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BENCH_PEAK_FILE: peakFile },
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`fetch --once exited ${code}: ${stderr.slice(-500)}`);
  const line = stderr.match(/"msg":"(cycle: [^"]*, ([\d.]+) s)"/) ?? stderr.match(/(cycle: [^\n"]*, ([\d.]+) s)/);
  if (!line) throw new Error(`fetch --once printed no cycle line: ${stderr.slice(-500)}`);
  const { peakRssMiB, cpuSeconds } = JSON.parse(readFileSync(peakFile, 'utf8')) as { peakRssMiB: number; cpuSeconds: number };
  return { cycleSeconds: Number(line[2]), line: line[1]!, cpuSeconds, peakRssMiB };
}
