// npm run bench: runs each benchmark module, prints a table and writes bench/results.json (git-ignored).
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface BenchRow {
  name: string;
  /** median wall time */
  wallMs: number;
  /** median CPU time (user + system) of the measured process */
  cpuMs: number;
  peakRssMiB: number;
  /** throughput, in `unit`s per second */
  perSecond: number;
  unit: string;
  notes: string;
}

const MODULES: Record<string, () => Promise<{ run(): Promise<BenchRow[]> }>> = {
  ingest: () => import('./ingest.ts'),
};

const only = process.argv.slice(2);
const rows: BenchRow[] = [];
for (const [name, load] of Object.entries(MODULES)) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`running ${name}…\n`);
  rows.push(...await (await load()).run());
}

const machine = {
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
const table = [
  ['benchmark', 'wall', 'CPU', 'throughput', 'peak RSS', 'notes'],
  ...rows.map((r) => [r.name, `${(r.wallMs / 1000).toFixed(2)} s`, `${(r.cpuMs / 1000).toFixed(2)} s`, `${Math.round(r.perSecond)} ${r.unit}/s`,
    `${Math.round(r.peakRssMiB)} MiB`, r.notes]),
];
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
for (const row of table) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')}\n`);
process.stdout.write(`\n${machine.cpus} x ${machine.cpu}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}\n`);
const out = fileURLToPath(new URL('./results.json', import.meta.url));
writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), command: 'npm run bench', machine, rows }, null, 2)}\n`);
process.stdout.write(`written ${out}\n`);
