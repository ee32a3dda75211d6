// The processes of the PostgreSQL benchmark (bench/pg.ts): `tributary serve` instances on one database, compiled
// as `npm start` runs them, each in its own process; the fixture server (bench/fixture-server.ts) with its request
// counts; and the CPU time and peak RSS of each, read from /proc (Linux), so that figures taken on a shared
// machine can be told from the machine's load.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { get, request } from 'node:http';
import { join } from 'node:path';
import { benchCommand, benchFile, SERVICE_NODE_FLAGS } from './child.ts';

const BIN = benchFile('../bin/tributary.js');
const PEAK = benchFile('peak-at-exit.mjs');
const TICKS_PER_SECOND = 100;

export interface Instance {
  pid: number;
  port: number;
  /** the id it leases under (its "serving on" line) */
  id: string;
  role: string;
  /** ms from spawn to "serving on" */
  readyMs: number;
  log(): string;
  cpuSeconds(): number;
  /** VmHWM now, MiB */
  peakRssMiB(): number;
  /** SIGTERM, and its peak RSS at exit (bench/peak-at-exit.mjs) */
  stop(): Promise<{ peakRssMiB: number; cpuSeconds: number }>;
  /** kill -9: no lease handed back, nothing flushed */
  kill(): { peakRssMiB: number; cpuSeconds: number };
}

/**
 * Starts `tributary serve --database URL` and waits for its "serving on" line. BENCH_INSTANCE_NODE_ARGS adds Node
 * options to each instance (e.g. `--cpu-prof --cpu-prof-dir=DIR`: Node refuses --cpu-prof in NODE_OPTIONS).
 */
export function startInstance(config: string, database: string, dataDir: string, peakFile: string, role = 'all'): Promise<Instance> {
  const started = performance.now();
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...(process.env.BENCH_INSTANCE_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', PEAK, BIN, 'serve', '--config', config, '--data', dataDir, '--database', database, '--port', '0', '--role', role], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BENCH_PEAK_FILE: peakFile },
  });
  let log = '';
  // The log of a long run is large: keep its head (the start) and its tail.
  child.stderr!.on('data', (d) => {
    log += d;
    if (log.length > 4_000_000) log = log.slice(0, 1_000_000) + log.slice(-1_000_000);
  });
  return new Promise<Instance>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`tributary serve exited ${code} before it was ready: ${log.slice(-800)}`));
    child.once('exit', onExit);
    const onData = () => {
      const ready = log.match(/serving on http:\/\/[^:]+:(\d+)\/ \(PostgreSQL store, instance (\S+), role (\w+)\)/);
      if (!ready) return;
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      const pid = child.pid!;
      resolve({
        pid, port: Number(ready[1]), id: ready[2]!, role: ready[3]!, readyMs: performance.now() - started,
        log: () => log,
        cpuSeconds: () => processCpuSeconds(pid),
        peakRssMiB: () => statusKiB(pid, 'VmHWM') / 1024,
        stop: () => stopInstance(child, peakFile),
        kill: () => {
          const last = { peakRssMiB: statusKiB(pid, 'VmHWM') / 1024, cpuSeconds: processCpuSeconds(pid) };
          child.kill('SIGKILL');
          return last;
        },
      });
    };
    child.stderr!.on('data', onData);
  });
}

function stopInstance(child: ChildProcess, peakFile: string): Promise<{ peakRssMiB: number; cpuSeconds: number }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ peakRssMiB: NaN, cpuSeconds: NaN });
  const cpu = processCpuSeconds(child.pid!);
  return new Promise((resolve) => {
    child.once('exit', () => {
      try {
        resolve(JSON.parse(readFileSync(peakFile, 'utf8')) as { peakRssMiB: number; cpuSeconds: number });
      } catch {
        // exited without its exit hook (a second signal): the CPU time before the signal, no peak
        resolve({ peakRssMiB: NaN, cpuSeconds: cpu });
      }
    });
    child.kill('SIGTERM');
  });
}

/** utime + stime of a live process, in seconds (its own threads, not its reaped children). */
export function processCpuSeconds(pid: number): number {
  try {
    const fields = statFields(pid);
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** The fields of /proc/PID/stat after the command name: state is [0], ppid [1], utime [11], cutime [13]. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function statusKiB(pid: number, field: string): number {
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
    return match ? Number(match[1]) : NaN;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds the PostgreSQL server has used so far: the postmaster, the backends it has reaped (cutime) and the
 * ones running now. The difference over a phase is what the database cost it.
 */
export function clusterCpuSeconds(clusterDir: string): number {
  const pidFile = join(clusterDir, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return NaN;
  const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const own = statFields(postmaster);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = statFields(Number(entry));
      if (Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks / TICKS_PER_SECOND;
}

export interface RequestCounts {
  counts: Record<string, number>;
  last: Record<string, number>;
  first?: number;
  /** the most feed requests held at once since the last reset */
  maxInFlight: number;
}

/** bench/fixture-server.ts in its own process, with its request counts. */
export interface FixtureChild {
  port: number;
  pid: number;
  /** how long it holds each feed's answer (0: at once) */
  delayMs: number;
  feedUrl(n: number): string;
  counts(): Promise<RequestCounts>;
  reset(): Promise<void>;
  /** every feed moves on to round r's items */
  round(r: number): Promise<void>;
  stop(): void;
}

/** `delayMs`: each feed answered that long after its request, as by a distant server (0: at once). */
export async function startFixtureChild(items: number, roundStep = 2, delayMs = 0): Promise<FixtureChild> {
  const server = spawn(process.execPath, await benchCommand('fixture-server.ts'), {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_ITEMS: String(items), BENCH_ROUND_STEP: String(roundStep), BENCH_DELAY_MS: String(delayMs) },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    server.once('exit', (code) => reject(new Error(`fixture server exited ${code}`)));
  });
  const call = (method: string, path: string) => httpJson(port, method, path);
  return {
    port,
    pid: server.pid!,
    delayMs,
    feedUrl: (n) => `http://127.0.0.1:${port}/feeds/${n}.xml`,
    counts: () => call('GET', '/counts') as Promise<RequestCounts>,
    reset: async () => void (await call('POST', '/reset')),
    round: async (r) => void (await call('POST', `/round/${r}`)),
    stop: () => void server.kill('SIGTERM'),
  };
}

function httpJson(port: number, method: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // A connection of its own each time (no keep-alive): a socket the server closed while idle is never reused.
    request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      res.on('error', reject);
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (err) {
          reject(err);
        }
      });
    }).on('error', reject).end();
  });
}

/** A GET as a feed reader makes it: status and ETag. */
export function readerGet(port: number, path: string, ifNoneMatch?: string): Promise<{ status: number; etag: string | undefined }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false, headers: ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {} }, (res) => {
      res.on('error', reject);
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag }));
    }).on('error', reject);
  });
}

/**
 * An instance's /metrics, the series without labels (counters, gauges, histograms' _sum and _count): what it says of
 * its own work, e.g. its renders (tributary_render_duration_seconds_count and _sum).
 */
export function instanceMetrics(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
      res.on('error', reject);
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        const series: Record<string, number> = {};
        for (const [, name, value] of body.matchAll(/^([a-z_]+) (\S+)$/gm)) series[name!] = Number(value);
        resolve(series);
      });
    }).on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
