// The shape every benchmark module returns, and how run.ts prints it: each figure beside the reference it was
// measured against in the same run, and their ratio.
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Figure {
  value: number;
  unit: string;
}

export interface BenchRow {
  /** the module that measured it: serve, ingest, render, store */
  module: string;
  /** what was measured, with its size */
  name: string;
  measured: Figure;
  /** what `measured` is compared with, measured in the same run */
  reference: Figure & { name: string };
  /** measured / reference, in the units given */
  ratio: number;
  goal?: { text: string; met: boolean };
  /** the highest RSS of the process that did the measured work */
  peakRssMiB?: number;
  notes: string;
  /** every raw number behind the row, for bench/results.json */
  detail?: Record<string, unknown>;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
  /** 1-minute load average when the run started: other work on a shared machine shows here */
  loadAverage: number;
}

export function describeMachine(): Machine {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: Number(loadavg()[0]!.toFixed(2)),
  };
}

/** The model name Linux reports (a VM may hide most of it); os.cpus() elsewhere. */
function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1]!.trim();
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** A number with as many digits as it deserves: 12,345 · 123 · 12.3 · 1.23. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatFigure(figure: Figure): string {
  return `${formatNumber(figure.value)} ${figure.unit}`;
}

/** The table run.ts prints: one line per row, then the notes, numbered. */
export function formatTable(rows: BenchRow[]): string {
  const lines = [
    ['#', 'figure', 'measured', 'reference (same run)', 'ratio', 'goal', 'peak RSS'],
    ...rows.map((r, i) => [
      String(i + 1), `${r.module}: ${r.name}`, formatFigure(r.measured), `${formatFigure(r.reference)} ${r.reference.name}`,
      `${r.ratio.toFixed(r.ratio >= 10 ? 1 : r.ratio >= 0.1 ? 2 : 3)}`, r.goal ? `${r.goal.met ? 'met' : 'MISSED'}: ${r.goal.text}` : '',
      r.peakRssMiB === undefined ? '' : `${Math.round(r.peakRssMiB)} MiB`,
    ]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  const table = lines.map((line) => line.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ').trimEnd());
  const notes = rows.map((r, i) => `[${i + 1}] ${r.notes}`);
  return `${[...table, '', ...notes].join('\n')}\n`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
