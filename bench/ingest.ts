// Ingest benchmark: 1,000 sources of 20 items from a fixture server in another process, one full cycle
// through the App (fetch, decode, parse, normalize, dedupe, store, render), then the same cycle again when
// every source answers 304. Each cycle runs in a fresh child process so its peak RSS is its own; the pair is
// repeated BENCH_RUNS times (default 3) on a fresh data directory and the medians reported, since a 2-core
// machine shared with other work gives noisy single runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { BenchRow } from './run.ts';

const SOURCES = Number(process.env.BENCH_SOURCES ?? 1000);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const TSX = ['--import', 'tsx'];
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface CycleResult {
  wallMs: number;
  cpuMs: number;
  openMs: number;
  sources: number;
  ok: number;
  notModified: number;
  failed: number;
  itemsSeen: number;
  added: number;
  rendered: number;
  written: boolean;
  peakRssMiB: number;
  firstError?: string;
}

function runCycle(config: string, data: string): Promise<CycleResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', ...TSX, here('./ingest-cycle.ts'), config, data], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as CycleResult) : reject(new Error(`cycle exited ${code}`))));
  });
}

/** Median wall and CPU time; the highest peak RSS. */
function summary(results: CycleResult[]): { wallMs: number; cpuMs: number; peakRssMiB: number } {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  return {
    wallMs: median(results.map((r) => r.wallMs)),
    cpuMs: median(results.map((r) => r.cpuMs)),
    peakRssMiB: Math.max(...results.map((r) => r.peakRssMiB)),
  };
}

export async function run(): Promise<BenchRow[]> {
  const server = spawn(process.execPath, [...TSX, here('./fixture-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_ITEMS: String(ITEMS) },
  });
  const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout.once('data', (d) => resolve(Number(String(d).trim())));
      server.once('exit', (code) => reject(new Error(`fixture server exited ${code}`)));
    });
    const tags = ['world', 'china', 'tech', 'science', 'business', 'sport', 'culture', 'health', 'local', 'opinion'];
    const config = join(dir, 'sources.yaml');
    writeFileSync(config, stringify({
      title: 'Bench',
      baseUrl: 'http://127.0.0.1:8080',
      retention: { maxItemsPerSource: 500 },
      sources: Array.from({ length: SOURCES }, (_, n) => ({
        id: `source-${n}`, url: `http://127.0.0.1:${port}/feeds/${n}.xml`, tags: [tags[n % 10], tags[(n * 7 + 3) % 10]],
        timezone: 'Asia/Shanghai',
      })),
    }));
    const fulls: CycleResult[] = [];
    const cached: CycleResult[] = [];
    for (let i = 0; i < RUNS; i++) {
      const data = join(dir, `data-${i}`);
      fulls.push(await runCycle(config, data));
      cached.push(await runCycle(config, data));
      rmSync(data, { recursive: true, force: true });
    }
    for (const r of [...fulls, ...cached]) {
      if (r.failed > 0) throw new Error(`${r.failed} sources failed, e.g. ${r.firstError}`);
    }
    const full = summary(fulls);
    const hot = summary(cached);
    const items = SOURCES * ITEMS;
    const runs = (rs: CycleResult[]) => rs.map((r) => (r.wallMs / 1000).toFixed(2)).join(' / ');
    return [
      {
        name: `ingest: full cycle, ${SOURCES} sources x ${ITEMS} items`, wallMs: full.wallMs, cpuMs: full.cpuMs, peakRssMiB: full.peakRssMiB,
        perSecond: items / (full.wallMs / 1000), unit: 'items',
        notes: `${fulls[0]!.ok} ok, ${fulls[0]!.added} items stored, ${fulls[0]!.rendered} feeds rendered; runs ${runs(fulls)} s`,
      },
      {
        name: `ingest: 304 cycle, ${SOURCES} sources`, wallMs: hot.wallMs, cpuMs: hot.cpuMs, peakRssMiB: hot.peakRssMiB,
        perSecond: SOURCES / (hot.wallMs / 1000), unit: 'sources',
        notes: `${cached[0]!.notModified} not modified, ${cached[0]!.rendered} feeds rendered, store.json written: ${cached[0]!.written}; `
          + `runs ${runs(cached)} s; full/304: wall ${(full.wallMs / hot.wallMs).toFixed(1)}x, CPU ${(full.cpuMs / hot.cpuMs).toFixed(1)}x`,
      },
    ];
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
