// Render benchmark: for each size (stored items across 50 tags), a fresh process times a full render of every
// feed, then the render after a change that touches k feeds. The goal: only the k changed feeds are
// rendered, and such a render costs about what those feeds cost inside the full one (its time grows with k,
// not with the items stored). Times are CPU times of the rendering process: rendering is synchronous work,
// and on a shared machine its wall time also counts the moments another process had the core.
import { runChild } from './child.ts';
import type { BenchRow } from './report.ts';
import type { RenderPass } from './render-pass.ts';

export interface RenderOptions {
  sources: number;
  /** stored items, one size per entry */
  sizes: number[];
  /** renders per change, of which the median is reported */
  repeats: number;
}

export const RENDER_PROFILES: Record<'full' | 'quick', RenderOptions> = {
  full: { sources: 500, sizes: [10_000, 100_000], repeats: 9 },
  quick: { sources: 50, sizes: [1_000, 5_000], repeats: 1 },
};

/**
 * A change may cost this much more than its feeds' share of a full render: the part of every render that does
 * not depend on what changed (building and signing every feed's item list, the index page) must stay small.
 */
const SLACK = 1.5;

export async function run(options: RenderOptions): Promise<BenchRow[]> {
  const passes: RenderPass[] = [];
  for (const items of options.sizes) {
    passes.push(await runChild<RenderPass>('render-pass.ts', [String(options.sources), String(items), String(options.repeats)], { nodeArgs: ['--expose-gc'] }));
  }
  const rows: BenchRow[] = [];
  for (const pass of passes) {
    const size = `${pass.items.toLocaleString('en-US')} items`;
    const context = `${size} of ${pass.sources} sources, ${pass.feeds} feeds (latest, 50 tags, one per source) x 3 formats`;
    for (const change of pass.changes) {
      const onlyChanged = change.rendered.every((n) => n === change.k);
      // What the re-rendered feeds cost inside a full render, by their share of its output.
      const expected = pass.full.cpuMs * change.share;
      const ratio = change.k === 0 ? change.cpuMs / pass.full.cpuMs : change.cpuMs / expected;
      rows.push({
        module: 'render',
        name: `${size}: ${change.what} (k = ${change.k} of ${pass.feeds} feeds)`,
        measured: { value: change.cpuMs, unit: 'ms CPU' },
        reference: change.k === 0
          ? { value: pass.full.cpuMs, unit: 'ms CPU', name: 'full render' }
          : { value: expected, unit: 'ms CPU', name: `full render x their ${(change.share * 100).toFixed(1)} % of its output` },
        ratio,
        goal: change.k === 0
          ? { text: 'no feed re-rendered', met: onlyChanged }
          : { text: `only these ${change.k} re-rendered, ratio <= ${SLACK}`, met: onlyChanged && ratio <= SLACK },
        peakRssMiB: pass.peakRssMiB,
        notes: `${context}: ${change.what}; re-rendered ${[...new Set(change.rendered)].join('/')} feeds (expected ${change.k}), `
          + `${(change.share * 100).toFixed(2)} % of the output bytes (k/feeds = ${((change.k / pass.feeds) * 100).toFixed(2)} %); `
          + `median of ${change.rendered.length}: ${change.cpuMs.toFixed(1)} ms CPU, ${change.wallMs.toFixed(1)} ms wall; `
          + `building every feed's item list (buildFeedSpecs over all items) alone: ${pass.specs.cpuMs.toFixed(1)} ms CPU; `
          + `full render ${(pass.full.cpuMs / 1000).toFixed(2)} s CPU, ${(pass.full.wallMs / 1000).toFixed(2)} s wall`,
        detail: { change, full: pass.full, specs: pass.specs, feeds: pass.feeds, items: pass.items },
      });
    }
  }
  const [small, large] = [passes[0]!, passes[passes.length - 1]!];
  if (passes.length > 1) {
    rows.push({
      module: 'render',
      name: `full render, ${large.items.toLocaleString('en-US')} items vs ${small.items.toLocaleString('en-US')} (${large.feeds} feeds)`,
      measured: { value: large.full.cpuMs / 1000, unit: 's CPU' },
      reference: { value: small.full.cpuMs / 1000, unit: 's CPU', name: `at ${small.items.toLocaleString('en-US')} items` },
      ratio: large.full.cpuMs / small.full.cpuMs,
      peakRssMiB: large.peakRssMiB,
      notes: `growth: ${(large.items / small.items).toFixed(0)}x the items, the same ${large.feeds} feeds of at most 50 items each; `
        + `wall ${(large.full.wallMs / 1000).toFixed(2)} s vs ${(small.full.wallMs / 1000).toFixed(2)} s; buildFeedSpecs `
        + `${large.specs.cpuMs.toFixed(0)} ms vs ${small.specs.cpuMs.toFixed(0)} ms CPU`,
      detail: { small: small.full, large: large.full },
    });
  }
  return rows;
}
