// One size of the render benchmark in a fresh process: the real App over ITEMS stored items of SOURCES sources
// across the 50 tags; times a full render, then renders after a change that touches k feeds (k = 0, 3, 12),
// REPEATS times each. Usage: tsx --expose-gc bench/render-pass.ts SOURCES ITEMS REPEATS; prints one JSON line.
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../src/app.ts';
import { parseConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { buildFeedSpecs } from '../src/render/feed-specs.ts';
import { toPlainText } from '../src/normalize/plain-text.ts';
import { peakRssMiB } from './child.ts';
import { benchConfigYaml, benchItem, benchItems, benchSources, TAGS } from './items.ts';
import { median } from './report.ts';

export interface RenderPass {
  sources: number;
  items: number;
  feeds: number;
  full: Timing & { rendered: number };
  /** buildFeedSpecs alone over all items: the part of every render that grows with the stored items */
  specs: Timing;
  changes: ChangeResult[];
  peakRssMiB: number;
}

export interface Timing {
  wallMs: number;
  cpuMs: number;
}

export interface ChangeResult extends Timing {
  /** feeds the change should re-render */
  k: number;
  what: string;
  /** feeds each repeat re-rendered */
  rendered: number[];
  /** the re-rendered feeds' share of all rendered bytes (3 formats): the part of a full render they cost */
  share: number;
}

const [sourceCount, itemCount, repeats] = process.argv.slice(2).map(Number) as [number, number, number];
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

// Source 0 carries one tag: a new item of it changes latest, its tag and its own feed (k = 3). Source 1 carries
// ten: a new item of it changes twelve feeds.
const sources = benchSources(sourceCount);
sources[1]!.tags = TAGS.slice(0, 10);
const config = parseConfig(benchConfigYaml(sources), 'bench.yaml');
const dataDir = mkdtempSync(join(tmpdir(), 'tributary-bench-render-'));
const app = await App.open({ config, dataDir, logger: silentLogger() });
const perSource = Math.ceil(itemCount / sourceCount);
app.store.apply(benchItems(sources, perSource).slice(0, itemCount), []);

/**
 * Times `work` from a collected heap. The forced collection leaves work behind on V8's helper threads
 * (concurrent sweeping of the whole heap, in proportion to what is stored): it is let finish first, or the
 * process's CPU time would charge the collection the bench asked for to the render it times.
 */
async function timed<T>(work: () => T): Promise<Timing & { result: T }> {
  gc();
  await sleep(SETTLE_MS);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = work();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000, result };
}

const SETTLE_MS = 100;
const full = await timed(() => app.render());
const storedItems = app.store.size;
const bytesOf = (path: string) => (['atom', 'rss', 'json'] as const).reduce((n, format) => n + (app.feeds.get(path, format)?.body.length ?? 0), 0);
const allBytes = full.result.reduce((n, path) => n + bytesOf(path), 0);
const site = { title: config.title, baseUrl: config.baseUrl, limit: config.defaults.limit, sources: config.sources };
const titles = Object.fromEntries(config.sources.map((s) => [s.id, toPlainText(s.id, 'plain')]));
const specRuns: Timing[] = [];
for (let i = 0; i < repeats; i++) specRuns.push(await timed(() => buildFeedSpecs(app.store.items(), site, titles)));

let fresh = 0;
async function change(k: number, what: string, apply: () => void): Promise<ChangeResult> {
  const runs: (Timing & { result: string[] })[] = [];
  for (let i = 0; i < repeats; i++) {
    apply();
    runs.push(await timed(() => app.render()));
  }
  const last = runs[runs.length - 1]!.result;
  return {
    k, what, rendered: runs.map((r) => r.result.length), share: last.reduce((n, path) => n + bytesOf(path), 0) / allBytes,
    wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)),
  };
}
const changes = [
  // The same item stored again as an update: the items changed, no feed's content did.
  await change(0, 'an update no feed shows', () => {
    const oldest = app.store.items()[app.store.items().length - 1]!;
    app.store.apply([], [{ ...oldest }]);
  }),
  await change(3, 'a new item of a source with 1 tag', () => app.store.apply([benchItem('source-0', perSource + fresh, { ageMinutes: -++fresh })], [])),
  await change(12, 'a new item of a source with 10 tags', () => app.store.apply([benchItem('source-1', perSource + fresh, { ageMinutes: -++fresh })], [])),
];

const result = {
  sources: sourceCount,
  items: storedItems,
  feeds: full.result.length,
  full: { wallMs: full.wallMs, cpuMs: full.cpuMs, rendered: full.result.length },
  specs: { wallMs: median(specRuns.map((r) => r.wallMs)), cpuMs: median(specRuns.map((r) => r.cpuMs)) },
  changes,
  peakRssMiB: peakRssMiB(),
};
await app.close();
rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(result)}\n`);
