// Store benchmark: for each size, a fresh process opens a store.json of that many items with ItemStore and
// times the cycles a fetch cycle makes (20 new items of one source, its state, commit); another fresh process
// does the floor of any whole-file JSON store on the same file (parse, then per cycle stringify, write,
// fsync). Time, bytes written per cycle and peak RSS, each against the floor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChild } from './child.ts';
import type { BenchRow } from './report.ts';
import type { StorePass } from './store-cycles.ts';

export interface StoreOptions {
  /** stored items, one size per entry */
  sizes: number[];
  sources: number;
  cycles: number;
}

export const STORE_PROFILES: Record<'full' | 'quick', StoreOptions> = {
  full: { sizes: [10_000, 100_000, 300_000], sources: 1000, cycles: 5 },
  quick: { sizes: [5_000], sources: 250, cycles: 2 },
};

/** The goal: a store of 100k items held in under 400 MB (decimal) of RSS. */
const RSS_GOAL = { items: 100_000, bytes: 400e6 };

export async function run(options: StoreOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const size of options.sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-store-'));
    try {
      await runChild('store-cycles.ts', ['prepare', dir, String(size), String(options.sources)]);
      const args = [dir, String(options.cycles), String(options.sources)];
      const ours = await runChild<StorePass>('store-cycles.ts', ['store', ...args]);
      const floor = await runChild<StorePass>('store-cycles.ts', ['floor', ...args]);
      rows.push(...rowsOf(ours, floor, options));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

function rowsOf(ours: StorePass, floor: StorePass, options: StoreOptions): BenchRow[] {
  const size = `${ours.items.toLocaleString('en-US')} items`;
  const kb = (bytes: number) => bytes / 1024;
  const common = `${size} of ${options.sources} sources, ${options.cycles} cycles of 20 new items each (median)`;
  const rssGoal = ours.items === RSS_GOAL.items
    ? { goal: { text: `< 400 MB (${Math.round(RSS_GOAL.bytes / 2 ** 20)} MiB)`, met: ours.peakRssMiB * 2 ** 20 < RSS_GOAL.bytes } }
    : {};
  return [
    {
      module: 'store',
      name: `${size}: time per cycle (apply + commit)`,
      measured: { value: ours.cycleMs, unit: 'ms' },
      reference: { value: floor.cycleMs, unit: 'ms', name: 'stringify + write + fsync' },
      ratio: ours.cycleMs / floor.cycleMs,
      peakRssMiB: ours.peakRssMiB,
      notes: `${common}: ItemStore ${ours.cycles.map((ms) => ms.toFixed(0)).join('/')} ms (CPU ${ours.cycleCpuMs.toFixed(0)} ms), `
        + `the floor ${floor.cycles.map((ms) => ms.toFixed(0)).join('/')} ms (CPU ${floor.cycleCpuMs.toFixed(0)} ms); `
        + `opening ${ours.openMs.toFixed(0)} ms vs JSON.parse of the file ${floor.openMs.toFixed(0)} ms`,
      detail: { ours, floor },
    },
    {
      module: 'store',
      name: `${size}: bytes written per cycle`,
      measured: { value: kb(ours.bytesPerCycle), unit: 'KB' },
      reference: { value: kb(ours.newBytes), unit: 'KB', name: 'of new items' },
      ratio: ours.bytesPerCycle / ours.newBytes,
      notes: `${common}: store.json and sources.json are rewritten whole each cycle (${(ours.bytesPerCycle / 2 ** 20).toFixed(1)} MiB, `
        + `${Math.round(ours.bytesPerCycle / ours.items)} bytes per stored item) for ${kb(ours.newBytes).toFixed(1)} KB of new items; `
        + `the floor writes ${(floor.bytesPerCycle / 2 ** 20).toFixed(1)} MiB`,
      detail: { ours: ours.bytesPerCycle, floor: floor.bytesPerCycle, newItems: ours.newBytes },
    },
    {
      module: 'store',
      name: `${size}: peak RSS`,
      measured: { value: ours.peakRssMiB, unit: 'MiB' },
      reference: { value: floor.peakRssMiB, unit: 'MiB', name: 'JSON.parse of the file + the same cycles' },
      ratio: ours.peakRssMiB / floor.peakRssMiB,
      ...rssGoal,
      peakRssMiB: ours.peakRssMiB,
      notes: `${common}: peak RSS of the process that opened the store and ran the cycles (Node included), `
        + `${Math.round(ours.openPeakRssMiB)} MiB of it reached by opening (reading and parsing the file); `
        + `${((ours.peakRssMiB * 2 ** 20) / ours.items / 1024).toFixed(1)} KiB per stored item; the file is ${(ours.bytesPerCycle / 2 ** 20).toFixed(0)} MiB; `
        + `the floor reached ${Math.round(floor.openPeakRssMiB)} MiB parsing it`,
    },
  ];
}
