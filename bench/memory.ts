// Memory benchmark: the peak RSS (VmHWM) of the real CLI, compiled as `npm start` runs it, against the goals of
// issue 15: `tributary serve` over a store of 100,000 items (1,000 sources) at most 350 MiB, and `tributary fetch
// --once` of 1,000 sources x 20 new items (10,000 already stored) at most 300 MiB. The serve figure is taken once
// the service said "serving on" (store loaded and rendered) and answered every feed of one source and the latest
// feed in each encoding; the process then stops. Each command runs in a fresh process; the ratio is peak / goal.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { benchCommand, benchFile, runChild, SERVICE_NODE_FLAGS } from './child.ts';
import { benchConfigYaml, benchSources } from './items.ts';
import type { BenchRow } from './report.ts';
import { benchRetention, prepareBenchStore } from './store-file.ts';

export interface MemoryOptions {
  /** stored items of the serve case, over `sources` sources */
  serveItems: number;
  /** sources of the fetch case (20 new items each), with `fetchStored` items stored before */
  fetchSources: number;
  fetchStored: number;
  sources: number;
  /** one more serve case at this many items (npm run bench -- memory --huge: 1M), whose figure is stated, no goal */
  hugeServeItems?: number;
}

/** The serve case of `--huge`: issue 15 measured 1.9 GiB at 1M items and asks for the figure. */
export const HUGE_SERVE_ITEMS = 1_000_000;

export const MEMORY_PROFILES: Record<'full' | 'quick', MemoryOptions> = {
  full: { serveItems: 100_000, sources: 1000, fetchSources: 1000, fetchStored: 10_000 },
  quick: { serveItems: 5_000, sources: 500, fetchSources: 100, fetchStored: 1_000 },
};

/** The goals of issue 15, in MiB, at the full sizes. */
export const SERVE_GOAL_MIB = 350;
export const FETCH_GOAL_MIB = 300;

const BIN = benchFile('../bin/tributary.js');
const PEAK = benchFile('peak-at-exit.mjs');

export async function run(options: MemoryOptions): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-memory-'));
  try {
    // Built before anything is measured: a start that builds dist/ runs esbuild too.
    const { ensureBuilt } = await import('../scripts/build.js');
    await ensureBuilt();
    const huge = options.hugeServeItems ? [await serveRow(dir, { ...options, serveItems: options.hugeServeItems })] : [];
    return [await serveRow(dir, options), ...huge, await fetchRow(dir, options)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function serveRow(dir: string, options: MemoryOptions): Promise<BenchRow> {
  const config = join(dir, `serve-${options.serveItems}.yaml`);
  const data = join(dir, `serve-data-${options.serveItems}`);
  const sources = benchSources(options.sources);
  writeFileSync(config, benchConfigYaml(sources, undefined, benchRetention(options.serveItems, options.sources)));
  await prepareBenchStore(data, options.serveItems, options.sources);
  const result = await serveOnce(config, data, join(dir, 'serve-peak.json'), sources[0]!.id);
  const full = options.serveItems === MEMORY_PROFILES.full.serveItems;
  return {
    module: 'memory',
    name: `serve, ${options.serveItems.toLocaleString('en-US')} items: peak RSS`,
    measured: { value: result.peakRssMiB, unit: 'MiB' },
    reference: { value: SERVE_GOAL_MIB, unit: 'MiB', name: 'the goal at 100,000 items' },
    ratio: result.peakRssMiB / SERVE_GOAL_MIB,
    ...(full ? { goal: { text: `<= ${SERVE_GOAL_MIB} MiB`, met: result.peakRssMiB <= SERVE_GOAL_MIB } } : {}),
    peakRssMiB: result.peakRssMiB,
    notes: `tributary serve (compiled) over ${options.serveItems.toLocaleString('en-US')} stored items of ${options.sources} sources `
      + `(~1 KB of JSON each): "serving on" after ${(result.readyMs / 1000).toFixed(1)} s; peak RSS (VmHWM) through loading, rendering `
      + `and answering ${result.requests} requests, ${Math.round(result.readyRssMiB)} MiB RSS when ready`,
    detail: { ...result },
  };
}

async function fetchRow(dir: string, options: MemoryOptions): Promise<BenchRow> {
  const server = spawn(process.execPath, await benchCommand('fixture-server.ts'), {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_ITEMS: '20' },
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      server.once('exit', (code) => reject(new Error(`fixture server exited ${code}`)));
    });
    const config = join(dir, 'fetch.yaml');
    const data = join(dir, 'fetch-data');
    writeFileSync(config, stringify({
      title: 'Bench', baseUrl: 'http://127.0.0.1:8080', retention: { maxItemsPerSource: 500 },
      sources: benchSources(options.fetchSources).map((s, n) => ({ id: s.id, url: `http://127.0.0.1:${port}/feeds/${n}.xml`, tags: s.tags })),
    }));
    await runChild('store-cycles.ts', ['prepare', data, String(options.fetchStored), String(options.fetchSources)]);
    const started = performance.now();
    const { peakRssMiB, stderr } = await command(['fetch', '--once', '--config', config, '--data', data], dir, join(dir, 'fetch-peak.json'));
    const seconds = (performance.now() - started) / 1000;
    const summary = stderr.match(/fetched \d+ sources.*stored/)?.[0] ?? stderr.trim().split('\n').at(-1) ?? '';
    const full = options.fetchSources === MEMORY_PROFILES.full.fetchSources;
    return {
      module: 'memory',
      name: `fetch --once, ${options.fetchSources.toLocaleString('en-US')} sources x 20 items: peak RSS`,
      measured: { value: peakRssMiB, unit: 'MiB' },
      reference: { value: FETCH_GOAL_MIB, unit: 'MiB', name: 'the goal at 1,000 sources' },
      ratio: peakRssMiB / FETCH_GOAL_MIB,
      ...(full ? { goal: { text: `<= ${FETCH_GOAL_MIB} MiB`, met: peakRssMiB <= FETCH_GOAL_MIB } } : {}),
      peakRssMiB,
      notes: `tributary fetch --once (compiled) of ${options.fetchSources} fixture sources x 20 new items, `
        + `${options.fetchStored.toLocaleString('en-US')} items stored before, in ${seconds.toFixed(1)} s: ${summary}`,
      detail: { peakRssMiB, seconds },
    };
  } finally {
    server.kill('SIGTERM');
  }
}

/** Runs the CLI to its end; its peak RSS and what it printed on stderr. */
function command(args: string[], cwd: string, peakFile: string): Promise<{ peakRssMiB: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PEAK, BIN, ...args], {
      cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BENCH_PEAK_FILE: peakFile },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`tributary ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
      resolve({ peakRssMiB: readPeak(peakFile), stderr });
    });
  });
}

interface ServeResult {
  peakRssMiB: number;
  readyRssMiB: number;
  readyMs: number;
  requests: number;
}

/** Starts serve, waits for "serving on", requests a few feeds, reads VmHWM, stops it. */
function serveOnce(config: string, data: string, peakFile: string, sourceId: string): Promise<ServeResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, '--import', PEAK, BIN, 'serve', '--config', config, '--data', data, '--port', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BENCH_PEAK_FILE: peakFile },
  });
  // The log (on stderr) says "serving on …" once the store is loaded and rendered.
  let log = '';
  return new Promise<ServeResult>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`tributary serve exited ${code} before it was ready: ${log.slice(-500)}`));
    child.once('exit', onExit);
    child.stderr.on('data', (d) => {
      const before = log;
      log += d;
      const port = log.match(/serving on http:\/\/[^:]+:(\d+)\//)?.[1];
      if (!port || /serving on/.test(before)) return;
      const readyMs = performance.now() - started;
      const readyRssMiB = statusKiB(child.pid!, 'VmRSS') / 1024;
      const paths = ['/feeds/latest.atom', '/feeds/latest.rss', '/feeds/latest.json', `/feeds/sources/${sourceId}.atom`, `/feeds/sources/${sourceId}.json`];
      const encodings = ['identity', 'gzip', 'br'];
      const requests = paths.flatMap((p) => encodings.map((e) => fetchStatus(Number(port), p, e)));
      Promise.all(requests).then((statuses) => {
        if (statuses.some((s) => s !== 200)) throw new Error(`serve answered ${statuses.join(', ')}`);
        child.off('exit', onExit);
        child.once('exit', () => resolve({ peakRssMiB: readPeak(peakFile), readyRssMiB, readyMs, requests: statuses.length }));
        child.kill('SIGTERM');
      }).catch((err: unknown) => {
        child.kill('SIGKILL');
        reject(err);
      });
    });
  });
}

function fetchStatus(port: number, path: string, encoding: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, headers: { 'accept-encoding': encoding } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

function statusKiB(pid: number, field: string): number {
  const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : NaN;
}

function readPeak(file: string): number {
  return (JSON.parse(readFileSync(file, 'utf8')) as { peakRssMiB: number }).peakRssMiB;
}

