// Ingest benchmark: SOURCES sources of ITEMS items from a fixture server in another process, one full cycle
// through the App (fetch, decode, parse, normalize, dedupe, store, render), then the same cycle again when
// every source answers 304, then the reference: the same documents parsed by rss-parser alone. Each runs in a
// fresh child process so its peak RSS is its own; the three are repeated `runs` times (fresh data directory
// each time) and the medians reported, since a 2-core machine shared with other work gives noisy single runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { benchCommand, runChild } from './child.ts';
import type { ParseFloor } from './parse-floor.ts';
import { median, type BenchRow } from './report.ts';

export interface IngestOptions {
  /** sources per cycle, one size per entry */
  sizes: number[];
  /** items in each source's feed */
  items: number;
  runs: number;
}

export const INGEST_PROFILES: Record<'full' | 'quick', IngestOptions> = {
  full: { sizes: [500, 1000], items: 20, runs: 3 },
  quick: { sizes: [50], items: 20, runs: 1 },
};

interface CycleResult {
  wallMs: number;
  cpuMs: number;
  openMs: number;
  sources: number;
  ok: number;
  notModified: number;
  failed: number;
  added: number;
  rendered: number;
  written: boolean;
  peakRssMiB: number;
  firstError?: string;
}

const TAGS = ['world', 'china', 'tech', 'science', 'business', 'sport', 'culture', 'health', 'local', 'opinion'];

export async function run(options: IngestOptions): Promise<BenchRow[]> {
  const server = spawn(process.execPath, await benchCommand('fixture-server.ts'), {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_ITEMS: String(options.items) },
  });
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      server.once('exit', (code) => reject(new Error(`fixture server exited ${code}`)));
    });
    const rows: BenchRow[] = [];
    for (const sources of options.sizes) rows.push(...await runSize(sources, port, dir, options));
    return rows;
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runSize(sources: number, port: number, dir: string, options: IngestOptions): Promise<BenchRow[]> {
  const config = join(dir, `sources-${sources}.yaml`);
  writeFileSync(config, stringify({
    title: 'Bench',
    baseUrl: 'http://127.0.0.1:8080',
    retention: { maxItemsPerSource: 500 },
    sources: Array.from({ length: sources }, (_, n) => ({
      id: `source-${n}`, url: `http://127.0.0.1:${port}/feeds/${n}.xml`, tags: [TAGS[n % 10], TAGS[(n * 7 + 3) % 10]],
      timezone: 'Asia/Shanghai',
    })),
  }));
  const fulls: CycleResult[] = [];
  const cached: CycleResult[] = [];
  const floors: ParseFloor[] = [];
  for (let i = 0; i < options.runs; i++) {
    const data = join(dir, `data-${sources}-${i}`);
    fulls.push(await runCycle(config, data));
    cached.push(await runCycle(config, data));
    floors.push(await runChild<ParseFloor>('parse-floor.ts', [String(sources), String(options.items)]));
    rmSync(data, { recursive: true, force: true });
  }
  for (const r of [...fulls, ...cached]) {
    if (r.failed > 0) throw new Error(`${r.failed} sources failed, e.g. ${r.firstError}`);
  }
  const full = summary(fulls);
  const hot = summary(cached);
  const floor = summary(floors);
  const items = sources * options.items;
  const size = `${sources.toLocaleString('en-US')} sources x ${options.items} items`;
  const runs = (rs: { wallMs: number }[]) => rs.map((r) => (r.wallMs / 1000).toFixed(2)).join(' / ');
  const fullGoal = sources === 1000 ? { goal: { text: 'full cycle < 30 s on 2 cores', met: full.wallMs < 30_000 } } : {};
  return [
    {
      module: 'ingest',
      name: `full cycle, ${size}`,
      measured: { value: items / (full.wallMs / 1000), unit: 'items/s' },
      reference: { value: items / (floor.wallMs / 1000), unit: 'items/s', name: 'rss-parser alone' },
      ratio: floor.wallMs / full.wallMs,
      ...fullGoal,
      peakRssMiB: full.peakRssMiB,
      notes: `full cycle (fetch, parse, normalize, sanitize, dedupe, store, render ${fulls[0]!.rendered} feeds x 3 formats): `
        + `median ${(full.wallMs / 1000).toFixed(2)} s wall, ${(full.cpuMs / 1000).toFixed(2)} s CPU (runs ${runs(fulls)} s), `
        + `${fulls[0]!.added} items stored; rss-parser alone on the same ${sources} documents: ${(floor.wallMs / 1000).toFixed(2)} s wall, `
        + `${(floor.cpuMs / 1000).toFixed(2)} s CPU (runs ${runs(floors)} s), peak RSS ${Math.round(floor.peakRssMiB)} MiB; `
        + `CPU ratio ${(floor.cpuMs / full.cpuMs).toFixed(3)}`,
      detail: { fulls, floors },
    },
    {
      module: 'ingest',
      name: `304 cycle, ${sources.toLocaleString('en-US')} sources`,
      measured: { value: hot.wallMs / 1000, unit: 's' },
      reference: { value: full.wallMs / 1000, unit: 's', name: 'the full cycle' },
      ratio: hot.wallMs / full.wallMs,
      goal: { text: '<= 0.1 of the full cycle', met: hot.wallMs / full.wallMs <= 0.1 },
      peakRssMiB: hot.peakRssMiB,
      notes: `every source answers 304: ${cached[0]!.notModified} not modified, ${cached[0]!.rendered} feeds rendered, `
        + `store.json written: ${cached[0]!.written}; median ${(hot.wallMs / 1000).toFixed(2)} s wall, ${(hot.cpuMs / 1000).toFixed(2)} s CPU `
        + `(runs ${runs(cached)} s), ${Math.round(sources / (hot.wallMs / 1000))} sources/s; CPU ratio to the full cycle ${(hot.cpuMs / full.cpuMs).toFixed(3)}`,
      detail: { cached },
    },
  ];
}

function runCycle(config: string, data: string): Promise<CycleResult> {
  return runChild<CycleResult>('ingest-cycle.ts', [config, data], { nodeArgs: ['--expose-gc'] });
}

/** Median wall and CPU time; the highest peak RSS. */
function summary(results: { wallMs: number; cpuMs: number; peakRssMiB: number }[]): { wallMs: number; cpuMs: number; peakRssMiB: number } {
  return {
    wallMs: median(results.map((r) => r.wallMs)),
    cpuMs: median(results.map((r) => r.cpuMs)),
    peakRssMiB: Math.max(...results.map((r) => r.peakRssMiB)),
  };
}
