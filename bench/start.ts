// Start benchmark: how soon a restarted `tributary serve` answers, run as an operator runs it (node
// bin/tributary.js, compiled), on a store of each size that a previous run left with its rendered documents
// (data/rendered/): time from spawning the process to the first 200 of /healthz and of /feeds/latest.atom
// (polled every few ms), and when it logged "listening on" and "store loaded". And the wall time of
// `tributary check` on a three-line config. Each against its goal (issue 15): 1 s for a start, 0.5 s for check.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../scripts/build.js';
import { runChild } from './child.ts';
import { benchConfigYaml, benchSources } from './items.ts';
import { median, type BenchRow } from './report.ts';

export interface StartOptions {
  /** stored items, one size per entry (0: an empty store) */
  sizes: number[];
  sources: number;
  /** restarts measured per size (the median is reported) */
  starts: number;
  /** `tributary check` runs (the median is reported) */
  checks: number;
}

export const START_PROFILES: Record<'full' | 'quick', StartOptions> = {
  full: { sizes: [0, 10_000, 100_000], sources: 1000, starts: 5, checks: 5 },
  quick: { sizes: [0, 5_000], sources: 500, starts: 1, checks: 3 },
};

const BIN = fileURLToPath(new URL('../bin/tributary.js', import.meta.url));
const START_GOAL_MS = 1000;
const CHECK_GOAL_MS = 500;
/** how often a starting service is asked, while it does not answer yet */
const POLL_MS = 5;

interface StartPass {
  healthzMs: number;
  feedMs: number;
  listeningMs: number;
  loadedMs: number;
  /** the feed's first answer had the ETag it had before the restart */
  sameEtag: boolean;
  /** ...and came before "store loaded", so from the kept documents */
  feedFromKept: boolean;
}

export async function run(options: StartOptions): Promise<BenchRow[]> {
  // Built before anything is timed: the first start after a change builds dist/, which is not what is measured.
  if (!(await ensureBuilt())) throw new Error('dist/ cannot be built here: the start benchmark measures the compiled start');
  const rows: BenchRow[] = [];
  for (const size of options.sizes) rows.push(...await startRows(size, options));
  rows.push(await checkRow(options.checks));
  return rows;
}

async function startRows(size: number, options: StartOptions): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-start-'));
  try {
    const data = join(dir, 'data');
    const config = join(dir, 'sources.yaml');
    const sources = size === 0 ? 1 : options.sources;
    writeFileSync(config, benchConfigYaml(benchSources(sources)));
    if (size > 0) await runChild('store-cycles.ts', ['prepare', data, String(size), String(sources)]);
    // A first run renders the store and keeps its documents; its stop writes the last of them.
    const primed = await startService(config, data);
    await primed.loaded;
    const etag = await etagOf(primed.port, '/feeds/latest.atom');
    await primed.stop();
    const passes: StartPass[] = [];
    for (let i = 0; i < options.starts; i++) passes.push(await measureStart(config, data, etag));
    const items = size.toLocaleString('en-US');
    const pick = (key: keyof Omit<StartPass, 'feedFromKept' | 'sameEtag'>) => median(passes.map((p) => p[key]));
    const timings = (key: keyof Omit<StartPass, 'feedFromKept' | 'sameEtag'>) => passes.map((p) => p[key].toFixed(0)).join('/');
    const common = `${items} items of ${sources} source(s), restarted on the data a previous run left (data/rendered kept), `
      + `median of ${options.starts}: "listening on" logged at ${timings('listeningMs')} ms, "store loaded" at ${timings('loadedMs')} ms`;
    const kept = passes.filter((p) => p.feedFromKept).length;
    return [
      {
        module: 'start', name: `${items} items: spawn to first /healthz 200`,
        measured: { value: pick('healthzMs'), unit: 'ms' }, reference: { value: START_GOAL_MS, unit: 'ms', name: 'goal' },
        ratio: pick('healthzMs') / START_GOAL_MS, goal: { text: '< 1 s', met: pick('healthzMs') < START_GOAL_MS },
        notes: `${common}; /healthz ${timings('healthzMs')} ms`, detail: { passes },
      },
      {
        module: 'start', name: `${items} items: spawn to first /feeds/latest.atom 200`,
        measured: { value: pick('feedMs'), unit: 'ms' }, reference: { value: START_GOAL_MS, unit: 'ms', name: 'goal' },
        ratio: pick('feedMs') / START_GOAL_MS, goal: { text: '< 1 s, same ETag', met: pick('feedMs') < START_GOAL_MS && passes.every((p) => p.sameEtag) },
        notes: `${common}; latest.atom ${timings('feedMs')} ms, the ETag of before the restart in ${passes.filter((p) => p.sameEtag).length} of ${options.starts} starts, `
          + `answered from the kept documents (before "store loaded") in ${kept}`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureStart(config: string, data: string, etag: string | undefined): Promise<StartPass> {
  const port = await freePort();
  const started = performance.now();
  const service = await startService(config, data, port);
  try {
    const healthz = await firstAnswer(port, '/healthz');
    const feed = await firstAnswer(port, '/feeds/latest.atom');
    const loadedAt = await service.loaded;
    return {
      healthzMs: healthz.at - started, feedMs: feed.at - started, listeningMs: (await service.listening) - started, loadedMs: loadedAt - started,
      sameEtag: feed.etag === etag, feedFromKept: feed.at < loadedAt && feed.etag === etag,
    };
  } finally {
    await service.stop();
  }
}

interface Service {
  port: number;
  /** when it logged "listening on" / "store loaded" (performance.now()) */
  listening: Promise<number>;
  loaded: Promise<number>;
  stop(): Promise<void>;
}

function startService(config: string, data: string, port = 0): Promise<Service> {
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--data', data, '--port', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const seen = (msg: string) => new Promise<number>((resolve, reject) => {
    const look = () => {
      if (log.includes(`"msg":"${msg}`)) {
        child.stderr.off('data', look);
        resolve(performance.now());
      }
    };
    child.stderr.on('data', look);
    child.once('exit', (code) => reject(new Error(`serve exited ${code} before "${msg}":\n${log.slice(-2000)}`)));
  });
  child.stderr.on('data', (d) => (log += d));
  const listening = seen('listening on');
  const loaded = seen('store loaded');
  loaded.catch(() => {});
  return listening.then(() => ({
    port: port || Number(/"port":(\d+)/.exec(log)?.[1]),
    listening,
    loaded,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  }));
}

/** Asks every POLL_MS until the path answers 200; when it did, and its ETag. */
async function firstAnswer(port: number, path: string): Promise<{ at: number; etag: string | undefined }> {
  for (;;) {
    const answer = await get(port, path).catch(() => undefined);
    if (answer?.status === 200) return { at: performance.now(), etag: answer.etag };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function etagOf(port: number, path: string): Promise<string | undefined> {
  return (await get(port, path)).etag;
}

function get(port: number, path: string): Promise<{ status: number; etag: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag }));
    });
    req.on('error', reject);
    req.end();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function checkRow(runs: number): Promise<BenchRow> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-check-'));
  try {
    const config = join(dir, 'sources.yaml');
    writeFileSync(config, 'sources:\n  - id: wire\n    url: http://127.0.0.1:9/wire.xml\n');
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await wallTime([BIN, 'check', '--config', config]));
    const ms = median(times);
    return {
      module: 'start', name: 'tributary check, 3-line config: wall time',
      measured: { value: ms, unit: 'ms' }, reference: { value: CHECK_GOAL_MS, unit: 'ms', name: 'goal' },
      ratio: ms / CHECK_GOAL_MS, goal: { text: '< 0.5 s', met: ms < CHECK_GOAL_MS },
      notes: `node bin/tributary.js check (compiled), median of ${runs}: ${times.map((t) => t.toFixed(0)).join('/')} ms; `
        + `\`node -e ""\` takes ${(await wallTime(['-e', ''])).toFixed(0)} ms here`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function wallTime(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`node ${args.join(' ')} exited ${code}`))));
  });
}
