// Serving during a fetch cycle (issue 15): autocannon on /feeds/latest.atom against Tributary (the real App, in a
// child process) while that same service runs a cycle of SOURCES sources x 20 new items with STORED items already
// stored, its sources on a fixture server in a third process. The reference is the same load on the same service
// when idle, measured just before and just after the cycle, so the ratios come from the same minutes of a shared,
// noisy machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { setTimeout } from 'node:timers/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Item } from '../src/model.ts';
import { ItemStore } from '../src/store/store.ts';
import { benchCommand, SERVICE_NODE_FLAGS } from './child.ts';
import { benchConfigYaml, benchItem, benchSources } from './items.ts';
import type { BenchRow } from './report.ts';
import type { CycleRun } from './serve-cycle-target.ts';
import { overlapsStall, startStallProbe, type Stall } from './stall-probe.ts';

export interface ServeCycleOptions {
  sources: number;
  /** new items in each source's feed at the cycle */
  items: number;
  /** items stored before the cycle, spread evenly over the sources */
  stored: number;
  connections: number;
  /** seconds of idle load before the cycle and again after it: the reference */
  idleSeconds: number;
  warmupSeconds: number;
}

export const SERVE_CYCLE_PROFILES: Record<'full' | 'quick', ServeCycleOptions> = {
  full: { sources: 1000, items: 20, stored: 100_000, connections: 50, idleSeconds: 8, warmupSeconds: 2 },
  quick: { sources: 100, items: 20, stored: 5_000, connections: 50, idleSeconds: 1, warmupSeconds: 0.25 },
};

const PATH = '/feeds/latest.atom';

interface Load {
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** the worst latency among answers that did not wait through a stall of the whole machine (stall-probe.ts) */
  maxOutsideStallsMs: number;
  /** the machine's stalls within the load, and the longest of them */
  stalls: number;
  longestStallMs: number;
}

export async function run(options: ServeCycleOptions): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-serve-cycle-'));
  const children: ChildProcess[] = [];
  try {
    const sourcesPort = await startFixtureServer(options.items, children);
    const config = join(dir, 'sources.yaml');
    const data = join(dir, 'data');
    const sources = benchSources(options.sources);
    writeFileSync(config, benchConfigYaml(sources, (id) => `http://127.0.0.1:${sourcesPort}/feeds/${id.slice('source-'.length)}.xml`));
    await prepareStore(data, sources.map((s) => s.id), options.stored);
    const service = await startService(config, data, children);
    const url = `http://127.0.0.1:${service.port}${PATH}`;
    // One load from the warm-up to the end, its answers counted by the phase they ended in: a load's first tenth of
    // a second (50 connections opening at once) took 110-260 ms against a 10-line node:http server too, so a load
    // started with each phase measured the load generator's ramp as the cycle's worst latency.
    const probe = startStallProbe();
    const loadRun = phasedLoad(url, options.connections);
    await setTimeout(options.warmupSeconds * 1000);
    loadRun.begin('before');
    await setTimeout(options.idleSeconds * 1000);
    loadRun.begin('during');
    const cycle = await service.cycle();
    loadRun.begin('after');
    await setTimeout(options.idleSeconds * 1000);
    const { stalls, stealMs } = await probe.stop();
    const phases = await loadRun.stop(stalls);
    const [before, busy, after] = [phases.get('before')!, phases.get('during')!, phases.get('after')!];
    if (cycle.failed > 0) throw new Error(`${cycle.failed} of ${cycle.sources} sources failed, e.g. ${cycle.firstError}`);
    if (cycle.added !== options.sources * options.items) throw new Error(`the cycle stored ${cycle.added} items, not ${options.sources * options.items}`);
    return rows(options, combine([before, after]), busy, cycle, stealMs);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

function rows(options: ServeCycleOptions, idle: Load, busy: Load, cycle: CycleRun, stealMs: number | undefined): BenchRow[] {
  const size = `${options.sources.toLocaleString('en-US')} sources x ${options.items} new items, ${options.stored.toLocaleString('en-US')} stored`;
  const notes = `${PATH} under ${options.connections} connections while a cycle of ${size} runs in the same service `
    + `(${(cycle.cycleMs / 1000).toFixed(1)} s, ${cycle.added} items stored, ${cycle.rendered} feeds rendered again; event loop held `
    + `${cycle.loopMaxMs.toFixed(0)} ms at most, p99 ${cycle.loopP99Ms.toFixed(0)} ms): ${describe(busy)}; idle, ${options.idleSeconds} s before `
    + `and ${options.idleSeconds} s after: ${describe(idle)}`;
  const detail = { idle, busy, cycle };
  return [
    {
      module: 'serve', name: `latest.atom during a cycle (${size}): throughput`,
      measured: { value: busy.requestsPerSecond, unit: 'req/s' },
      reference: { value: idle.requestsPerSecond, unit: 'req/s', name: 'the same service idle' },
      ratio: busy.requestsPerSecond / idle.requestsPerSecond,
      goal: { text: '>= 0.6 of idle', met: busy.requestsPerSecond / idle.requestsPerSecond >= 0.6 },
      peakRssMiB: cycle.peakRssMiB, notes, detail,
    },
    {
      module: 'serve', name: 'latest.atom during a cycle: p99 latency',
      measured: { value: busy.p99Ms, unit: 'ms' },
      reference: { value: idle.p99Ms, unit: 'ms', name: 'the same service idle' },
      ratio: busy.p99Ms / idle.p99Ms,
      goal: { text: '<= 2x idle', met: busy.p99Ms <= 2 * idle.p99Ms },
      notes: 'see the row above',
    },
    {
      module: 'serve', name: 'latest.atom during a cycle: max latency',
      measured: { value: busy.maxMs, unit: 'ms' },
      reference: { value: idle.maxMs, unit: 'ms', name: 'the same service idle' },
      ratio: busy.maxMs / idle.maxMs,
      goal: { text: '< 100 ms', met: busy.maxMs < 100 },
      notes: `see the row above; during the cycle the hypervisor took a core ${busy.stalls} times for 30 ms or more (longest `
        + `${busy.longestStallMs} ms; CPU time it took in the whole run: ${stealMs === undefined ? 'unknown' : `${Math.round(stealMs)} ms`})`,
    },
    {
      // The same goal over the answers that did not wait through a stall of the whole machine: what the service's
      // own work held them (stall-probe.ts); both figures are reported.
      module: 'serve', name: 'latest.atom during a cycle: max latency outside the machine\'s stalls',
      measured: { value: busy.maxOutsideStallsMs, unit: 'ms' },
      reference: { value: idle.maxOutsideStallsMs, unit: 'ms', name: 'the same service idle' },
      ratio: busy.maxOutsideStallsMs / idle.maxOutsideStallsMs,
      goal: { text: '< 100 ms', met: busy.maxOutsideStallsMs < 100 },
      notes: 'see the rows above',
    },
  ];
}

function describe(l: Load): string {
  return `${Math.round(l.requestsPerSecond)} req/s over ${l.seconds.toFixed(1)} s, p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms `
    + `(${l.maxOutsideStallsMs} ms outside ${l.stalls} stalls of a core)`;
}

/** `stored` items, as many per source, none of them among the ones the fixture feeds list (n from 1000 on). */
async function prepareStore(dataDir: string, sourceIds: string[], stored: number): Promise<void> {
  const store = await ItemStore.open(dataDir);
  const perSource = Math.ceil(stored / sourceIds.length);
  const items: Item[] = [];
  for (let i = 0; i < perSource; i++) {
    sourceIds.forEach((id, s) => {
      if (items.length < stored) items.push(benchItem(id, 1000 + i, { ageMinutes: 60 + i * sourceIds.length + s }));
    });
  }
  store.apply(items, []);
  await store.commit();
}

/** bench/fixture-server.ts: source n's feed of `items` items, the same every time. */
async function startFixtureServer(items: number, children: ChildProcess[]): Promise<number> {
  const server = spawn(process.execPath, await benchCommand('fixture-server.ts'), {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_ITEMS: String(items) },
  });
  children.push(server);
  // It stands for servers elsewhere on the network: on this 2-core machine it takes the CPU only when nobody else wants it.
  if (server.pid) setPriority(server.pid, 19);
  return new Promise<number>((resolve, reject) => {
    server.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    server.once('exit', (code) => reject(new Error(`fixture server exited ${code}`)));
  });
}

interface Service {
  port: number;
  cycle(): Promise<CycleRun>;
}

async function startService(config: string, data: string, children: ChildProcess[]): Promise<Service> {
  // BENCH_SERVICE_ARGS: node flags for the service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to see what holds its loop
  const nodeArgs = [...SERVICE_NODE_FLAGS, ...process.env.BENCH_SERVICE_ARGS?.split(' ').filter(Boolean) ?? []];
  const child = spawn(process.execPath, [...nodeArgs, ...(await benchCommand('serve-cycle-target.ts')), config, data], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const next = <T>(key: string) => new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench/serve-cycle-target.ts exited ${code}`));
    child.once('exit', onExit);
    const onMessage = (message: Record<string, unknown>) => {
      if (!(key in message)) return;
      child.off('exit', onExit);
      child.off('message', onMessage);
      resolve(message[key] as T);
    };
    child.on('message', onMessage);
  });
  return next<number>('port').then((port) => ({
    port,
    cycle: () => {
      const reply = next<CycleRun>('cycle');
      child.send('cycle');
      return reply;
    },
  }));
}

/**
 * Loads `url` from now until stop(), and sorts each answer into the phase it ended in (answers before the first
 * begin() are the warm-up, not counted). Every answer must be a 200. BENCH_TRACE=1 prints each answer over 50 ms.
 */
function phasedLoad(url: string, connections: number): { begin(phase: string): void; stop(stalls: readonly Stall[]): Promise<Map<string, Load>> } {
  const started = performance.now();
  const phases = new Map<string, Phase>();
  let current: Phase | undefined;
  let bad = 0;
  const codes = new Set<number>();
  let tracker: NodeJS.EventEmitter & { stop: () => void } | undefined;
  const done = new Promise<void>((resolve, reject) => {
    tracker = autocannon({ url, connections, duration: 3600 }, (err, r) => {
      if (err) return reject(err);
      if (r.errors > 0 || r.timeouts > 0 || bad > 0) {
        return reject(new Error(`load of ${url}: ${r.errors} errors, ${r.timeouts} timeouts, statuses ${[...codes].join(', ')}`));
      }
      resolve();
    }) as unknown as NodeJS.EventEmitter & { stop: () => void };
    tracker.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status !== 200) {
        bad += 1;
        codes.add(status);
      }
      current?.latencies.push(ms);
      current?.ends.push(performance.timeOrigin + performance.now());
      if (process.env.BENCH_TRACE && ms > 50) process.stderr.write(`slow ${ms.toFixed(0)} ms ending at +${((performance.now() - started) / 1000).toFixed(2)} s\n`);
    });
  });
  const close = () => {
    if (current) current.to = performance.now();
  };
  return {
    begin(phase) {
      close();
      current = { from: performance.now(), latencies: [], ends: [] };
      phases.set(phase, current);
    },
    async stop(stalls) {
      close();
      current = undefined;
      tracker?.stop();
      await done;
      return new Map([...phases].map(([name, p]) => [name, summary(p, stalls)]));
    },
  };
}

interface Phase {
  from: number;
  to?: number;
  /** each answer's latency and when it ended (ms since the epoch), in the order they came */
  latencies: number[];
  ends: number[];
}

function summary(phase: Phase, allStalls: readonly Stall[]): Load {
  const seconds = (phase.to! - phase.from) / 1000;
  const sorted = Float64Array.from(phase.latencies).sort();
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  const [from, to] = [performance.timeOrigin + phase.from, performance.timeOrigin + phase.to!];
  const stalls = allStalls.filter((s) => s.from < to && s.to > from);
  let maxOutsideStalls = 0;
  phase.latencies.forEach((ms, i) => {
    if (ms > maxOutsideStalls && !overlapsStall(stalls, phase.ends[i]! - ms, phase.ends[i]!)) maxOutsideStalls = ms;
  });
  return {
    seconds, requests: sorted.length, requestsPerSecond: sorted.length / seconds, p50Ms: Math.round(at(0.5)), p99Ms: Math.round(at(0.99)), maxMs: Math.round(at(1)),
    maxOutsideStallsMs: Math.round(maxOutsideStalls), stalls: stalls.length, longestStallMs: Math.round(Math.max(0, ...stalls.map((s) => s.to - s.from))),
  };
}

/** Two idle loads as one: requests per second over their whole time, the worse latencies. */
function combine(loads: Load[]): Load {
  const seconds = loads.reduce((n, l) => n + l.seconds, 0);
  const requests = loads.reduce((n, l) => n + l.requests, 0);
  return {
    seconds, requests, requestsPerSecond: requests / seconds,
    p50Ms: Math.max(...loads.map((l) => l.p50Ms)), p99Ms: Math.max(...loads.map((l) => l.p99Ms)), maxMs: Math.max(...loads.map((l) => l.maxMs)),
    maxOutsideStallsMs: Math.max(...loads.map((l) => l.maxOutsideStallsMs)), stalls: loads.reduce((n, l) => n + l.stalls, 0),
    longestStallMs: Math.max(...loads.map((l) => l.longestStallMs)),
  };
}
