// A benchmark store of any size, written straight to disk in the layout ItemStore writes (src/store/item-lines.ts:
// a header line, one item per line), with the items `store-cycles.ts prepare` would store, in the same order.
// `prepare` builds every item in memory and commits them through ItemStore, which at 1M items takes minutes and
// gigabytes; this streams them a thousand lines at a time. A size this big is kept in a cache under the temp
// directory, named by what made it (the store version, the size, what the item generator makes), so the next run
// links it into its data directory instead of writing a gigabyte again.
import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STORE_VERSION } from '../src/store/migrate.ts';
import { runChild } from './child.ts';
import { benchItem, benchSources } from './items.ts';

/**
 * Stores bigger than this are streamed and cached (placeBenchStore); smaller ones are made by `store-cycles.ts
 * prepare` through ItemStore itself, in seconds, as before.
 */
export const STREAMED_FROM = 100_001;

/** Items serialised per write: ~1 MB of text. */
const LINES_PER_WRITE = 1000;

/** Bump when writeBenchStore writes anything else: cached files of the older layout are then not used. */
const LAYOUT = 1;

/** Where big stores are kept between runs (one per size and generator; others are deleted). */
export const STORE_CACHE_DIR = join(tmpdir(), 'tributary-bench-store-cache');

/**
 * Writes `file` holding `count` items over `sourceCount` sources: item i of every source, then item i+1 of every
 * source, as benchItems() orders them, so the file is the one ItemStore would write from them (savedAt aside).
 */
export async function writeBenchStore(file: string, count: number, sourceCount: number): Promise<void> {
  const sources = benchSources(sourceCount);
  const perSource = Math.ceil(count / sourceCount);
  const handle = await open(file, 'w');
  try {
    const header = { version: STORE_VERSION, generation: 1, savedAt: new Date(Date.UTC(2025, 2, 9, 12)).toISOString() };
    await handle.write(`${JSON.stringify(header).slice(0, -1)},"items":[\n`);
    let written = 0;
    let lines: string[] = [];
    for (let i = 0; i < perSource && written < count; i++) {
      for (let s = 0; s < sources.length && written < count; s++) {
        lines.push(JSON.stringify(benchItem(sources[s]!.id, i, { ageMinutes: 1 + i * sources.length + s })));
        written++;
        if (lines.length === LINES_PER_WRITE) {
          await handle.write(`${written > LINES_PER_WRITE ? ',\n' : ''}${lines.join(',\n')}`);
          lines = [];
        }
      }
    }
    if (lines.length > 0) await handle.write(`${written > lines.length ? ',\n' : ''}${lines.join(',\n')}`);
    await handle.write(written > 0 ? '\n]}\n' : ']}\n');
  } finally {
    await handle.close();
  }
}

/** The path of a cached store of this size, written first if the cache has none made by this generator. */
export async function cachedBenchStore(count: number, sourceCount: number): Promise<string> {
  await mkdir(STORE_CACHE_DIR, { recursive: true });
  // Named by what the generator makes (two sample items), so a change to benchItem() is never served from the cache.
  const sample = [benchItem('source-0', 0, { ageMinutes: 1 }), benchItem(`source-${sourceCount - 1}`, 7, { ageMinutes: 9 })];
  const generator = createHash('sha256').update(`${LAYOUT}\n${JSON.stringify(sample)}`);
  const prefix = `store-${count}-${sourceCount}-`;
  const name = `${prefix}v${STORE_VERSION}-${generator.digest('hex').slice(0, 12)}.json`;
  const file = join(STORE_CACHE_DIR, name);
  if (await stat(file).then((s) => s.size > 0, () => false)) return file;
  // A store of this size made by an older generator is a gigabyte nothing reads any more.
  for (const old of await readdir(STORE_CACHE_DIR)) if (old.startsWith(prefix)) await unlink(join(STORE_CACHE_DIR, old)).catch(() => {});
  const temp = `${file}.${process.pid}.tmp`;
  await writeBenchStore(temp, count, sourceCount);
  await rename(temp, file);
  return file;
}

/**
 * Puts a cached store of this size at dataDir/store.json. Linked, not copied: ItemStore never writes a file in
 * place (a new one replaces it by rename), so the cached copy stays as it is.
 */
export async function placeBenchStore(dataDir: string, count: number, sourceCount: number): Promise<void> {
  const cached = await cachedBenchStore(count, sourceCount);
  await mkdir(dataDir, { recursive: true });
  const target = join(dataDir, 'store.json');
  await link(cached, target).catch(() => copyFile(cached, target));
}

/** dataDir/store.json holding `count` items over `sourceCount` sources, made the cheapest way for its size. */
export async function prepareBenchStore(dataDir: string, count: number, sourceCount: number): Promise<void> {
  if (count >= STREAMED_FROM) await placeBenchStore(dataDir, count, sourceCount);
  else await runChild('store-cycles.ts', ['prepare', dataDir, String(count), String(sourceCount)]);
}

/** The config's retention.maxItemsPerSource for a store this size: 500, or what keeps every item stored. */
export function benchRetention(count: number, sourceCount: number): number {
  return Math.max(500, Math.ceil(count / sourceCount));
}
