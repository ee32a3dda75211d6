// Instances sharing the fetch work (issue 16, "Two and three instances on one database"): one, two and three
// `tributary serve` processes started together on a fresh database of the same sources, timed from the fixture
// server's first request to the moment every item is stored and every source handed back. The fixture server counts
// the requests per source (each must be fetched exactly once) and the database is asked for stories stored twice.
//
// Two cases share this code. CPU-bound: 2,000 sources answered at once, so every instance's work is CPU (its own and
// PostgreSQL's); on 2 cores one instance already fills the machine. Latency-bound: every answer held `delayMs` by the
// fixture server, as a real feed server's is (100 ms to 2 s), so an instance mostly waits on the network with its
// fetch.concurrency requests out: the case where leasing the work to a second instance pays.
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { PgCluster } from '../tests/helpers/pg-cluster.ts';
import { benchSources } from './items.ts';
import { clusterCpuSeconds, instanceMetrics, startInstance, type FixtureChild, type Instance } from './pg-processes.ts';
import { connect, finished, storedCounts, waitFor, writeSiteConfig, type StoredCounts } from './pg-site.ts';
import type { BenchRow } from './report.ts';

export interface ScaleOptions {
  sources: number;
  /** items in each fixture feed */
  items: number;
  instances: number[];
  concurrency: number;
  /** how long the fixture server holds each answer (its delayMs): 0 or absent for the CPU-bound case */
  delayMs?: number;
  /** fetch.hostConcurrency over all instances together (default 64: every source is on 127.0.0.1) */
  hostConcurrency?: number;
  /** whether the rows carry the issue's goal: at the full size only (a quick run's figures are not the README's) */
  goal?: boolean;
}

export interface ScaleCase {
  instances: number;
  seconds: number;
  /** from the instances' launch to the last item stored: the span their CPU time (start included) was spent in */
  launchSeconds: number;
  sourcesPerSecond: number;
  /** sources requested more than once, and never */
  fetchedTwice: number;
  notFetched: number;
  stored: StoredCounts;
  instanceCpuSeconds: number[];
  instancePeakRssMiB: number[];
  databaseCpuSeconds: number;
  /** what each instance's passes said (its "cycle:" lines) */
  cycles: string[][];
  /** the machine's 1-minute load average at the end: other work on the same cores */
  loadAverage: number;
  /**
   * the renders of changes over the case, all instances together (only the one holding the render lock renders):
   * how many, their seconds and the feeds re-rendered (each instance's /metrics)
   */
  renders: { count: number; seconds: number; feeds: number };
  /** the most requests the fixture server (one host) held at once */
  maxInFlight: number;
  hostConcurrency: number;
}

/** The name of a case's databases and files: which case, and its host limit when not the default. */
function caseLabel(options: ScaleOptions): string {
  return `scale${options.delayMs ? '_latency' : ''}${options.hostConcurrency === undefined ? '' : `_host${options.hostConcurrency}`}`;
}

export async function scaleCase(cluster: PgCluster, fixture: FixtureChild, dir: string, n: number, options: ScaleOptions): Promise<ScaleCase> {
  const label = `${caseLabel(options)}_${n}`;
  const url = await cluster.createDatabase(`bench_${label}`);
  const sources = benchSources(options.sources);
  const config = join(dir, `${label}.yaml`);
  const hostConcurrency = options.hostConcurrency ?? 64;
  writeSiteConfig(config, { sources, feedUrl: fixture.feedUrl, concurrency: options.concurrency, hostConcurrency, leaseSeconds: 300, maxItemsPerSource: 500 });
  await fixture.reset();
  const db = await connect(url);
  const instances: Instance[] = [];
  try {
    const cpu0 = clusterCpuSeconds(cluster.dir);
    const launchedAt = Date.now();
    // Started together: each begins its first pass once it listens, within a second or so of the others.
    instances.push(...await Promise.all(Array.from({ length: n }, (_, k) => {
      const data = join(dir, `${label}-${k}`);
      mkdirSync(data, { recursive: true });
      return startInstance(config, url, data, join(dir, `${label}-${k}.peak.json`));
    })));
    const all = options.sources * options.items;
    await waitFor(`${n} instance(s) to store ${all} items of ${options.sources} sources`, () => finished(db, options.sources, all), (done) => done, 30 * 60_000);
    const finishedAt = Date.now();
    const databaseCpuSeconds = clusterCpuSeconds(cluster.dir) - cpu0;
    // read now, not at their stop: a stop's own work (keeping the rendered documents) is not the run's
    const instanceCpuSeconds = instances.map((i) => i.cpuSeconds());
    const counts = await fixture.counts();
    const seconds = (finishedAt - counts.first!) / 1000;
    const stored = await storedCounts(db);
    const requested = Object.values(counts.counts);
    const metrics = await Promise.all(instances.map((i) => instanceMetrics(i.port)));
    const total = (name: string) => metrics.reduce((sum, m) => sum + (m[name] ?? 0), 0);
    const stops = await Promise.all(instances.map((i) => i.stop()));
    return {
      instances: n, seconds, launchSeconds: (finishedAt - launchedAt) / 1000, sourcesPerSecond: options.sources / seconds,
      fetchedTwice: requested.filter((c) => c > 1).length, notFetched: options.sources - requested.length,
      stored, instanceCpuSeconds, instancePeakRssMiB: stops.map((s) => s.peakRssMiB), databaseCpuSeconds,
      cycles: instances.map((i) => [...i.log().matchAll(/"msg":"(cycle: [^"]*)"/g)].map((m) => m[1]!)),
      loadAverage: loadavg()[0]!, maxInFlight: counts.maxInFlight, hostConcurrency,
      renders: { count: total('tributary_render_duration_seconds_count'), seconds: total('tributary_render_duration_seconds_sum'), feeds: total('tributary_feeds_rendered_total') },
    };
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    await db.end();
  }
}

/**
 * A case's runs, one per entry of `options.instances`, then its rows. A latency-bound case adds a run of two
 * instances sharing a host limit of one instance's fetch.concurrency: politeness over instances, where it binds.
 */
export async function scaleCaseRows(cluster: PgCluster, fixture: FixtureChild, dir: string, options: ScaleOptions, cores: number): Promise<BenchRow[]> {
  const measured: ScaleCase[] = [];
  const answers = options.delayMs ? `, every answer after ${options.delayMs} ms` : '';
  for (const n of options.instances) {
    process.stderr.write(`pg: ${n} instance(s), ${options.sources} sources${answers}…\n`);
    measured.push(await scaleCase(cluster, fixture, dir, n, options));
  }
  const rows = scaleRows(measured, options, cores);
  if (options.delayMs) {
    process.stderr.write(`pg: 2 instances sharing hostConcurrency ${options.concurrency}, ${options.sources} sources${answers}…\n`);
    const polite = await scaleCase(cluster, fixture, dir, 2, { ...options, hostConcurrency: options.concurrency });
    rows.push(politenessRow(polite, measured.find((c) => c.instances === 1)!, options, cores));
  }
  return rows;
}

/** Each source requested exactly once (the fixture server's counts), every item stored, none twice. */
function isCorrect(c: ScaleCase, options: ScaleOptions): boolean {
  return c.fetchedTwice === 0 && c.notFetched === 0 && c.stored.duplicates === 0 && c.stored.items === options.sources * options.items;
}

const cpuOf = (x: ScaleCase) => x.instanceCpuSeconds.reduce((a, b) => a + b, 0) + x.databaseCpuSeconds;
/** cores busy from the launch on: the instances' CPU includes their start, before the first request */
const busyOf = (x: ScaleCase) => cpuOf(x) / x.launchSeconds;

/** One row per case: its throughput against one instance's, measured in the same run. */
export function scaleRows(cases: ScaleCase[], options: ScaleOptions, cores: number): BenchRow[] {
  const one = cases.find((c) => c.instances === 1)!;
  const delay = options.delayMs ?? 0;
  const size = `${options.sources.toLocaleString('en-US')} sources x ${options.items} items`;
  return cases.filter((c) => c.instances > 1).map((c) => {
    const ratio = c.sourcesPerSecond / one.sourcesPerSecond;
    const goalText = `>= 1.6x one${delay > 0 ? ` (latency-bound: every answer after ${delay} ms)` : ''}, each source fetched once, no duplicate`;
    return {
      module: 'pg',
      name: delay > 0 ? `${c.instances} instances, ${size} answered after ${delay} ms (latency-bound): fetch throughput` : `${c.instances} instances, ${size}: fetch throughput`,
      measured: { value: c.sourcesPerSecond, unit: 'sources/s' },
      reference: { value: one.sourcesPerSecond, unit: 'sources/s', name: '1 instance' },
      ratio,
      ...(c.instances === 2 && options.goal ? { goal: { text: goalText, met: ratio >= 1.6 && isCorrect(c, options) } } : {}),
      peakRssMiB: Math.max(...c.instancePeakRssMiB),
      notes: (delay > 0 ? `latency-bound case: the fixture server answered every feed ${delay} ms after its request (each on its own timer), as a distant feed server would; ` : '')
        + `${c.instances} \`tributary serve\` (compiled, role all, fetch.concurrency ${options.concurrency} each) started together on a fresh database: `
        + `every source fetched and handed back and every item stored ${c.seconds.toFixed(1)} s after the first request (1 instance: ${one.seconds.toFixed(1)} s); `
        + `${caseFigures(c, one, cores)}; ${hostNote(c, options)}: ${limitOf(c, one, cores, options)}`,
      detail: { ...c, reference: one, delayMs: delay },
    };
  });
}

/**
 * Politeness across instances: two instances whose one host allows fewer requests at once (fetch.hostConcurrency,
 * kept in the database) than their fetch.concurrency together; the fixture server counts what it was asked at once.
 * `one` is one instance with the default host limit, measured in the same run.
 */
export function politenessRow(c: ScaleCase, one: ScaleCase, options: ScaleOptions, cores: number): BenchRow {
  const delay = options.delayMs ?? 0;
  const correct = isCorrect(c, options);
  return {
    module: 'pg',
    name: `${c.instances} instances, hostConcurrency ${c.hostConcurrency}, ${options.sources.toLocaleString('en-US')} sources on one host${delay > 0 ? ` answered after ${delay} ms` : ''}: requests at once`,
    measured: { value: c.maxInFlight, unit: 'requests' },
    reference: { value: c.hostConcurrency, unit: 'requests', name: 'fetch.hostConcurrency' },
    ratio: c.maxInFlight / c.hostConcurrency,
    goal: { text: '<= hostConcurrency over all instances together, each source fetched once, no duplicate', met: c.maxInFlight <= c.hostConcurrency && correct },
    peakRssMiB: Math.max(...c.instancePeakRssMiB),
    notes: `${c.instances} \`tributary serve\` (fetch.concurrency ${options.concurrency} each, ${c.instances * options.concurrency} requests at once together) sharing `
      + `fetch.hostConcurrency ${c.hostConcurrency} for the one host 127.0.0.1 (slots held in the database); ${delay > 0 ? `every answer after ${delay} ms; ` : ''}`
      + `the fixture server held at most ${c.maxInFlight} requests at once. ${c.sourcesPerSecond.toFixed(1)} sources/s against ${one.sourcesPerSecond.toFixed(1)} for one instance `
      + `with hostConcurrency 64 (${(c.sourcesPerSecond / one.sourcesPerSecond).toFixed(2)}x), which has ${options.concurrency} requests out at most too: the host's limit caps `
      + `the two at that ceiling (the slots one instance leaves idle while it writes its batch, the other's requests may take); `
      + `${c.seconds.toFixed(1)} s from the first request to the last item stored; ${caseFigures(c, one, cores)}: ${limitOf(c, one, cores, options)}`,
    detail: { ...c, reference: one, delayMs: delay },
  };
}

/** What a case's notes say of its correctness and CPU, beside one instance's. */
function caseFigures(c: ScaleCase, one: ScaleCase, cores: number): string {
  return `${c.notFetched} sources never requested, ${c.fetchedTwice} requested twice (fixture server's counts), ${c.stored.items.toLocaleString('en-US')} items stored, `
    + `${c.stored.duplicates} stored twice. CPU: instances ${c.instanceCpuSeconds.map((s) => s.toFixed(0)).join(' + ')} s, PostgreSQL ${c.databaseCpuSeconds.toFixed(0)} s `
    + `(1 instance: ${one.instanceCpuSeconds[0]!.toFixed(0)} s + ${one.databaseCpuSeconds.toFixed(0)} s); ${busyOf(c).toFixed(2)} of ${cores} cores busy `
    + `(1 instance: ${busyOf(one).toFixed(2)}), load average ${c.loadAverage.toFixed(1)} at the end; ${rendersOf(c)} (1 instance: ${rendersOf(one)})`;
}

/**
 * The renderer looks for changes every 5 s, in the instance holding the render lock: a longer pass renders more
 * often, and its CPU is counted with that instance's. A render still running at the end is not counted.
 */
function rendersOf(x: ScaleCase): string {
  return `${x.renders.count} render${x.renders.count === 1 ? '' : 's'} of changes finished (${x.renders.seconds.toFixed(1)} s, ${x.renders.feeds.toLocaleString('en-US')} feeds re-rendered)`;
}

/**
 * Whether the one host's limit could bind: every source is on 127.0.0.1, and the limit holds over all instances.
 * The most requests the fixture server held at once says something only when it holds them (answered at once, each
 * is gone before the next is read).
 */
function hostNote(c: ScaleCase, options: ScaleOptions): string {
  const asked = c.instances * options.concurrency;
  return `every source on one host (127.0.0.1) with fetch.hostConcurrency ${c.hostConcurrency} over all instances together, `
    + `${asked > c.hostConcurrency ? 'binding' : 'not binding'} at ${c.instances} x ${options.concurrency} = ${asked} requests at once`
    + (options.delayMs ? `; the fixture server held at most ${c.maxInFlight} at once` : '');
}

/**
 * What held the throughput back, from the CPU figures: the cores (this benchmark's processes, or with other work on
 * the machine); the answers' delay, when the fixture server holds them (each instance's fetch.concurrency requests
 * out at a time, or the host's limit when lower); or the round trips of each instance's fetches (fetch.concurrency
 * at a time, each source's write a transaction of a dozen-odd statements).
 */
function limitOf(c: ScaleCase, one: ScaleCase, cores: number, options: ScaleOptions): string {
  const { sources } = options;
  const perSource = `${((cpuOf(c) / sources) * 1000).toFixed(0)} ms of CPU per source (1 instance: ${((cpuOf(one) / sources) * 1000).toFixed(0)} ms)`;
  if (busyOf(c) >= cores * 0.8) return `CPU-bound: these processes kept the ${cores} cores busy; ${perSource}`;
  if (options.delayMs) return latencyLimit(c, one, options, cores) + `; ${perSource}`;
  if (c.loadAverage >= cores) {
    return `the ${cores} cores were shared with other work (load average ${c.loadAverage.toFixed(1)}): these processes got ${busyOf(c).toFixed(2)} of them; ${perSource}. `
      + `One instance alone used ${busyOf(one).toFixed(2)} cores: it waits on round trips (${sources} sources, fetch.concurrency at a time, about a dozen statements `
      + 'each, most of them its write\'s transaction), which a second instance overlaps; past that, the cores left by the other work are the limit';
  }
  return `not CPU-bound (${busyOf(c).toFixed(2)} of ${cores} cores busy): the round trips of each instance's fetches and writes are; ${perSource}`;
}

/**
 * A latency-bound case's ceiling: the requests out at once (each instance's fetch.concurrency, or the host's limit
 * over all of them when lower), each answered after the delay. A pass leases a new source as a quarter of its
 * fetch.concurrency slots come free, so a slot costs the delay plus its source's parse, write and lease round trips
 * (their CPU, or longer when the CPU waits for a core): what keeps one instance under the ceiling, and what a second
 * instance overlaps with its own waits.
 */
function latencyLimit(c: ScaleCase, one: ScaleCase, options: ScaleOptions, cores: number): string {
  const delaySeconds = options.delayMs! / 1000;
  const outOf = (x: ScaleCase) => Math.min(x.instances * options.concurrency, x.hostConcurrency);
  const ceilingOf = (x: ScaleCase) => outOf(x) / delaySeconds;
  const share = (x: ScaleCase) => `${((x.sourcesPerSecond / ceilingOf(x)) * 100).toFixed(0)} %`;
  // A round: as many sources as requests out at once, answered, parsed and written; its CPU split between instances.
  const roundOf = (x: ScaleCase) => (x.seconds * outOf(x)) / options.sources;
  const cpuPerRound = (x: ScaleCase) => (cpuOf(x) / options.sources) * (outOf(x) / x.instances);
  const bound = c.instances * options.concurrency > c.hostConcurrency
    ? `the host's limit (hostConcurrency ${c.hostConcurrency}) over ${c.instances} x fetch.concurrency ${options.concurrency}`
    : `${c.instances} x fetch.concurrency ${options.concurrency}`;
  const after = (x: ScaleCase) => `${roundOf(x).toFixed(2)} s: the ${options.delayMs} ms wait, then ${(roundOf(x) - delaySeconds).toFixed(2)} s `
    + `to parse and write (${cpuPerRound(x).toFixed(2)} s of CPU per instance, PostgreSQL's share, start and renders included)`;
  return `latency-bound (${busyOf(c).toFixed(2)} of ${cores} cores busy): ${bound} = ${outOf(c)} requests out at once, each answered after `
    + `${options.delayMs} ms: at most ${ceilingOf(c).toFixed(1)} sources/s; measured ${c.sourcesPerSecond.toFixed(1)}, ${share(c)} of it (1 instance: `
    + `${one.sourcesPerSecond.toFixed(1)} of ${ceilingOf(one).toFixed(1)}, ${share(one)}). A round of ${outOf(c)} took ${after(c)} before its slots were leased again `
    + `(a pass leases again as a quarter of its fetch.concurrency slots come free); 1 instance: ${after(one)}. `
    + 'A second instance works while the first waits, and the reverse'
    + (c.loadAverage >= cores
      ? `; other work shared the cores (load average ${c.loadAverage.toFixed(1)}): what a round took beyond its wait and its CPU, it waited for a core`
      : '');
}
