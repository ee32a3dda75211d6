// Ingest benchmark: 1,000 sources of 20 items from a fixture server in another process, one full cycle
// through the App (fetch, decode, parse, normalize, dedupe, store, render), then the same cycle again when
// every source answers 304. Each cycle runs in a fresh child process so its peak RSS is its own.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { BenchRow } from './run.ts';

const SOURCES = Number(process.env.BENCH_SOURCES ?? 1000);
const ITEMS = Number(process.env.BENCH_ITEMS ?? 20);
const TSX = ['--import', 'tsx'];
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface CycleResult {
  wallMs: number;
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
    const child = spawn(process.execPath, [...TSX, here('./ingest-cycle.ts'), config, data], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as CycleResult) : reject(new Error(`cycle exited ${code}`))));
  });
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
    const data = join(dir, 'data');
    const full = await runCycle(config, data);
    const cached = await runCycle(config, data);
    for (const [name, r] of [['full', full], ['304', cached]] as const) {
      if (r.failed > 0) throw new Error(`${name} cycle: ${r.failed} sources failed, e.g. ${r.firstError}`);
    }
    const items = SOURCES * ITEMS;
    return [
      {
        name: `ingest: full cycle, ${SOURCES} sources x ${ITEMS} items`, wallMs: full.wallMs, peakRssMiB: full.peakRssMiB,
        perSecond: items / (full.wallMs / 1000), unit: 'items',
        notes: `${full.ok} ok, ${full.added} items stored, ${full.rendered} feeds rendered, store written: ${full.written}`,
      },
      {
        name: `ingest: 304 cycle, ${SOURCES} sources`, wallMs: cached.wallMs, peakRssMiB: cached.peakRssMiB,
        perSecond: SOURCES / (cached.wallMs / 1000), unit: 'sources',
        notes: `${cached.notModified} not modified, ${cached.rendered} feeds rendered, store written: ${cached.written}; `
          + `full/304 wall time ratio ${(full.wallMs / cached.wallMs).toFixed(1)}x (store open ${cached.openMs.toFixed(0)} ms, not counted)`,
      },
    ];
  } finally {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
