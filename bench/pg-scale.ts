// Instances sharing the fetch work (issue 16, "Two and three instances on one database"): one, two and three
// `tributary serve` processes started together on a fresh database of the same sources, timed from the fixture
// server's first request to the moment every item is stored and every source handed back. The fixture server counts
// the requests per source (each must be fetched exactly once) and the database is asked for stories stored twice.
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { PgCluster } from '../tests/helpers/pg-cluster.ts';
import { benchSources } from './items.ts';
import { clusterCpuSeconds, startInstance, type FixtureChild, type Instance } from './pg-processes.ts';
import { connect, finished, storedCounts, waitFor, writeSiteConfig, type StoredCounts } from './pg-site.ts';
import type { BenchRow } from './report.ts';

export interface ScaleOptions {
  sources: number;
  /** items in each fixture feed */
  items: number;
  instances: number[];
  concurrency: number;
}

export interface ScaleCase {
  instances: number;
  seconds: number;
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
}

export async function scaleCase(cluster: PgCluster, fixture: FixtureChild, dir: string, n: number, options: ScaleOptions): Promise<ScaleCase> {
  const url = await cluster.createDatabase(`bench_scale_${n}`);
  const sources = benchSources(options.sources);
  const config = join(dir, `scale-${n}.yaml`);
  writeSiteConfig(config, { sources, feedUrl: fixture.feedUrl, concurrency: options.concurrency, leaseSeconds: 300, maxItemsPerSource: 500 });
  await fixture.reset();
  const db = await connect(url);
  const instances: Instance[] = [];
  try {
    const cpu0 = clusterCpuSeconds(cluster.dir);
    // Started together: each begins its first pass once it listens, within a second or so of the others.
    instances.push(...await Promise.all(Array.from({ length: n }, (_, k) => {
      const data = join(dir, `scale-${n}-${k}`);
      mkdirSync(data, { recursive: true });
      return startInstance(config, url, data, join(dir, `scale-${n}-${k}.peak.json`));
    })));
    const all = options.sources * options.items;
    await waitFor(`${n} instance(s) to store ${all} items of ${options.sources} sources`, () => finished(db, options.sources, all), (done) => done, 30 * 60_000);
    const finishedAt = Date.now();
    const databaseCpuSeconds = clusterCpuSeconds(cluster.dir) - cpu0;
    const counts = await fixture.counts();
    const seconds = (finishedAt - counts.first!) / 1000;
    const stored = await storedCounts(db);
    const requested = Object.values(counts.counts);
    const stops = await Promise.all(instances.map((i) => i.stop()));
    return {
      instances: n, seconds, sourcesPerSecond: options.sources / seconds,
      fetchedTwice: requested.filter((c) => c > 1).length, notFetched: options.sources - requested.length,
      stored, instanceCpuSeconds: stops.map((s) => s.cpuSeconds), instancePeakRssMiB: stops.map((s) => s.peakRssMiB), databaseCpuSeconds,
      cycles: instances.map((i) => [...i.log().matchAll(/"msg":"(cycle: [^"]*)"/g)].map((m) => m[1]!)),
      loadAverage: loadavg()[0]!,
    };
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    await db.end();
  }
}

/** One row per case: its throughput against one instance's, measured in the same run. */
export function scaleRows(cases: ScaleCase[], options: ScaleOptions, cores: number): BenchRow[] {
  const one = cases.find((c) => c.instances === 1)!;
  return cases.filter((c) => c.instances > 1).map((c) => {
    const ratio = c.sourcesPerSecond / one.sourcesPerSecond;
    const correct = c.fetchedTwice === 0 && c.notFetched === 0 && c.stored.duplicates === 0 && c.stored.items === options.sources * options.items;
    const cpu = (x: ScaleCase) => x.instanceCpuSeconds.reduce((a, b) => a + b, 0) + x.databaseCpuSeconds;
    const fullSize = options.sources >= 2000;
    return {
      module: 'pg',
      name: `${c.instances} instances, ${options.sources.toLocaleString('en-US')} sources x ${options.items} items: fetch throughput`,
      measured: { value: c.sourcesPerSecond, unit: 'sources/s' },
      reference: { value: one.sourcesPerSecond, unit: 'sources/s', name: '1 instance' },
      ratio,
      ...(c.instances === 2 && fullSize ? { goal: { text: '>= 1.6x one, each source fetched once, no duplicate', met: ratio >= 1.6 && correct } } : {}),
      peakRssMiB: Math.max(...c.instancePeakRssMiB),
      notes: `${c.instances} \`tributary serve\` (compiled, role all, fetch.concurrency ${options.concurrency}) started together on a fresh database: `
        + `every source fetched and handed back and every item stored ${c.seconds.toFixed(1)} s after the first request (1 instance: ${one.seconds.toFixed(1)} s); `
        + `${c.notFetched} sources never requested, ${c.fetchedTwice} requested twice (fixture server's counts), ${c.stored.items.toLocaleString('en-US')} items stored, `
        + `${c.stored.duplicates} stored twice. CPU: instances ${c.instanceCpuSeconds.map((s) => s.toFixed(0)).join(' + ')} s, PostgreSQL ${c.databaseCpuSeconds.toFixed(0)} s `
        + `(1 instance: ${one.instanceCpuSeconds[0]!.toFixed(0)} s + ${one.databaseCpuSeconds.toFixed(0)} s); ${(cpu(c) / c.seconds).toFixed(2)} of ${cores} cores busy `
        + `(1 instance: ${(cpu(one) / one.seconds).toFixed(2)}): ${limitOf(c, one, cores, options.sources)}`,
      detail: { ...c, reference: one },
    };
  });
}

/**
 * What held the throughput back, from the CPU figures: the cores (this benchmark's processes, or with other work on
 * the machine), or the round trips of each instance's fetches (fetch.concurrency at a time, each source's write a
 * transaction of a hundred-odd statements).
 */
function limitOf(c: ScaleCase, one: ScaleCase, cores: number, sources: number): string {
  const cpu = (x: ScaleCase) => x.instanceCpuSeconds.reduce((a, b) => a + b, 0) + x.databaseCpuSeconds;
  const busy = (x: ScaleCase) => cpu(x) / x.seconds;
  const perSource = `${((cpu(c) / sources) * 1000).toFixed(0)} ms of CPU per source (1 instance: ${((cpu(one) / sources) * 1000).toFixed(0)} ms)`;
  if (busy(c) >= cores * 0.8) return `CPU-bound: these processes kept the ${cores} cores busy; ${perSource}`;
  if (c.loadAverage >= cores) {
    return `the ${cores} cores were shared with other work (load average ${c.loadAverage.toFixed(1)}): these processes got ${busy(c).toFixed(2)} of them; ${perSource}. `
      + `One instance alone used ${busy(one).toFixed(2)} cores: it waits on round trips (${sources} sources, fetch.concurrency at a time, about a dozen statements `
      + 'each, most of them its write\'s transaction), which a second instance overlaps; past that, the cores left by the other work are the limit';
  }
  return `not CPU-bound (${busy(c).toFixed(2)} of ${cores} cores busy): the round trips of each instance's fetches and writes are; ${perSource}`;
}
