// Proves the benchmark code runs: each module at a tiny size (20 sources, a quarter second of load per case), checking that every
// figure comes with its reference and finite numbers. Never how fast anything is: that is `npm run bench`.
import { describe, expect, it } from 'vitest';
import { run as runIngest } from '../../bench/ingest.ts';
import { run as runMemory } from '../../bench/memory.ts';
import { run as runRender } from '../../bench/render.ts';
import { formatTable, type BenchRow } from '../../bench/report.ts';
import { run as runServe } from '../../bench/serve.ts';
import { run as runStore } from '../../bench/store.ts';

function expectWellFormed(rows: BenchRow[], module: string): void {
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(row.module).toBe(module);
    expect(row.name).not.toBe('');
    expect(row.notes).not.toBe('');
    expect(row.reference.name).not.toBe('');
    for (const value of [row.measured.value, row.reference.value, row.ratio, row.peakRssMiB ?? 0]) expect(Number.isFinite(value)).toBe(true);
    expect(row.measured.value).toBeGreaterThan(0);
    expect(row.reference.value).toBeGreaterThan(0);
    if (row.goal) expect(typeof row.goal.met).toBe('boolean');
  }
  const table = formatTable(rows);
  for (const row of rows) expect(table).toContain(row.name);
}

describe('benchmark modules at a tiny size', () => {
  it('serve: every case of both feeds against the bare server, after checking both answer the same bytes', async () => {
    const rows = await runServe({ seconds: 0.25, turns: 1, connections: 5, warmupSeconds: 0 });
    expectWellFormed(rows, 'serve');
    expect(rows.map((r) => r.name.replace(/ \(.*\)/, ''))).toEqual([
      'latest.atom 200', 'latest.atom gzip 200', 'latest.atom 304 to If-None-Match',
      'sources/brief.atom 200', 'sources/brief.atom gzip 200', 'sources/brief.atom 304 to If-None-Match',
    ]);
    for (const row of rows) expect(row.goal?.text).toBe('>= 0.8 of bare');
  }, 120_000);

  it('ingest: the full and the 304 cycle of 20 sources, beside rss-parser alone', async () => {
    const rows = await runIngest({ sizes: [20], items: 5, runs: 1 });
    expectWellFormed(rows, 'ingest');
    expect(rows.map((r) => r.name)).toEqual(['full cycle, 20 sources x 5 items', '304 cycle, 20 sources']);
    expect(rows[0]!.reference.name).toBe('rss-parser alone');
  }, 120_000);

  it('render: a full render and changes touching 0, 3 and 12 feeds at two sizes, each re-rendering exactly those', async () => {
    const rows = await runRender({ sources: 20, sizes: [200, 400], repeats: 1 });
    expect(rows).toHaveLength(7);
    const changes = rows.slice(0, 6).map((r) => (r.detail as { change: { k: number; rendered: number[] } }).change);
    expect(changes.map((c) => c.k)).toEqual([0, 3, 12, 0, 3, 12]);
    for (const change of changes) expect(change.rendered).toEqual([change.k]);
    // An update no feed shows takes no time worth comparing at this size: only its structure is checked.
    expectWellFormed(rows.filter((r) => !r.name.includes('k = 0')), 'render');
  }, 120_000);

  it('store: time, bytes and peak RSS per cycle beside the JSON floor', async () => {
    const rows = await runStore({ sizes: [500], sources: 20, cycles: 2 });
    expectWellFormed(rows, 'store');
    expect(rows.map((r) => r.name)).toEqual(['500 items: time per cycle (apply + commit)', '500 items: bytes written per cycle', '500 items: peak RSS']);
  }, 120_000);

  it('memory: peak RSS of the compiled serve and fetch --once, each against its goal', async () => {
    const rows = await runMemory({ serveItems: 500, sources: 20, fetchSources: 20, fetchStored: 100 });
    expectWellFormed(rows, 'memory');
    expect(rows.map((r) => r.name)).toEqual(['serve, 500 items: peak RSS', 'fetch --once, 20 sources x 20 items: peak RSS']);
    expect(rows.map((r) => r.reference.value)).toEqual([350, 300]);
  }, 120_000);
});
