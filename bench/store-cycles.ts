// One size of the store benchmark in a fresh process, in one of three roles:
//   prepare DIR ITEMS SOURCES       writes DIR/store.json holding ITEMS items (through ItemStore)
//   store DIR CYCLES SOURCES        opens it with ItemStore and runs CYCLES cycles: 20 new items of one source,
//                                   its new state, commit (what a fetch cycle does to the store)
//   floor DIR CYCLES SOURCES        the reference: JSON.parse of the same file, then per cycle the same 20
//                                   items pushed, JSON.stringify, write and fsync of one file
// Prints one JSON line; the peak RSS is this process's own.
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Item } from '../src/model.ts';
import { ItemStore } from '../src/store/store.ts';
import { peakRssMiB } from './child.ts';
import { benchItem, benchItems, benchSources } from './items.ts';
import { median } from './report.ts';

export interface StorePass {
  role: 'store' | 'floor';
  items: number;
  openMs: number;
  /** per cycle: wall time of apply + commit, and the bytes written */
  cycleMs: number;
  cycleCpuMs: number;
  bytesPerCycle: number;
  /** bytes of the 20 new items as JSON: what a cycle adds */
  newBytes: number;
  cycles: number[];
  /** peak RSS once the file was read and parsed, before any cycle */
  openPeakRssMiB: number;
  peakRssMiB: number;
}

const NEW_ITEMS = 20;
const [role, dir, countArg, sourcesArg] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countArg);
const sources = benchSources(Number(sourcesArg));

/** Cycle c's new items: 20 of one source, newer than everything stored. */
function newItems(c: number): Item[] {
  const source = sources[c % sources.length]!.id;
  return Array.from({ length: NEW_ITEMS }, (_, i) => benchItem(source, 1_000_000 + c * NEW_ITEMS + i, { ageMinutes: -(c * NEW_ITEMS + i + 1) }));
}

async function measure(cycle: (c: number) => Promise<number>): Promise<{ cycles: number[]; cpu: number[]; bytes: number }> {
  const cycles: number[] = [];
  const cpu: number[] = [];
  let bytes = 0;
  for (let c = 0; c < count; c++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    bytes = await cycle(c);
    cycles.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { cycles, cpu, bytes };
}

async function report(passRole: 'store' | 'floor', items: number, opened: { ms: number; peakRssMiB: number }, run: Awaited<ReturnType<typeof measure>>): Promise<void> {
  const pass: StorePass = {
    role: passRole, items, openMs: opened.ms, cycleMs: median(run.cycles), cycleCpuMs: median(run.cpu), bytesPerCycle: run.bytes,
    newBytes: Buffer.byteLength(JSON.stringify(newItems(0))), cycles: run.cycles, openPeakRssMiB: opened.peakRssMiB, peakRssMiB: peakRssMiB(),
  };
  process.stdout.write(`${JSON.stringify(pass)}\n`);
}

if (role === 'prepare') {
  const store = await ItemStore.open(dir, { backups: 0 });
  store.apply(benchItems(sources, Math.ceil(count / sources.length)).slice(0, count), []);
  await store.commit();
  process.stdout.write(`${JSON.stringify({ items: store.size })}\n`);
} else if (role === 'store') {
  const start = performance.now();
  const store = await ItemStore.open(dir);
  const opened = { ms: performance.now() - start, peakRssMiB: peakRssMiB() };
  const items = store.size;
  const run = await measure(async (c) => {
    const added = newItems(c);
    store.apply(added, []);
    store.setSourceState({ id: added[0]!.sourceId, consecutiveFailures: 0, lastFetch: new Date().toISOString(), etag: `"c${c}"` });
    await store.commit();
    return (await stat(store.file)).size + (await stat(store.stateFile)).size;
  });
  await report('store', items, opened, run);
} else if (role === 'floor') {
  const start = performance.now();
  const data = JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as { items: Item[] };
  const opened = { ms: performance.now() - start, peakRssMiB: peakRssMiB() };
  const items = data.items.length;
  const run = await measure(async (c) => {
    data.items.push(...newItems(c));
    const text = JSON.stringify(data);
    const handle = await open(join(dir, 'floor.json'), 'w');
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    return (await stat(join(dir, 'floor.json'))).size;
  });
  await report('floor', items, opened, run);
} else {
  throw new Error(`unknown role ${role}: prepare, store or floor`);
}
