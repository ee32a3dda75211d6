import { describe, expect, it } from 'vitest';
import { summarizeCycle } from '../../src/cycle-summary.ts';
import type { CycleReport } from '../../src/fetch-cycle.ts';

type Outcome = CycleReport['sources'][number];
const ok = (id: string): Outcome => ({ sourceId: id, status: 'ok' }) as Outcome;
const notModified = (id: string): Outcome => ({ sourceId: id, status: 'not-modified' }) as Outcome;
const failed = (id: string, message: string): Outcome => ({ sourceId: id, status: 'error', error: new Error(message) }) as Outcome;
const report = (sources: Outcome[], more: Partial<CycleReport> = {}): CycleReport =>
  ({ sources, skipped: [], added: 0, updated: 0, rendered: [], written: true, ...more });

describe('summarizeCycle', () => {
  it.each([
    ['the issue\'s example', report([ok('a'), notModified('b'), failed('cn-news', 'source cn-news (http://x.test/f): HTTP 500 Internal Server Error')], { added: 23, updated: 3 }), 1234,
      'cycle: 3 sources, 2 ok, 1 failed (cn-news: HTTP 500 Internal Server Error), 23 new, 3 updated, 1.2 s'],
    ['one source', report([ok('a')]), 40, 'cycle: 1 source, 1 ok, 0 failed, 0 new, 0 updated, 0.0 s'],
    ['more than three failures: three named, the rest "…"', report(['a', 'b', 'c', 'd'].map((id) => failed(id, 'timed out'))), 2000,
      'cycle: 4 sources, 0 ok, 4 failed (a: timed out, b: timed out, c: timed out, …), 0 new, 0 updated, 2.0 s'],
    ['skipped sources counted apart', report([], { skipped: [{ sourceId: 'x', nextFetch: '2026-01-01T00:00:00Z' }] }), 10,
      'cycle: 0 sources, 0 ok, 0 failed, 1 skipped, 0 new, 0 updated, 0.0 s'],
    ['a long message cut, on one line', report([failed('a', `bad\n${'x'.repeat(100)}`)]), 0,
      `cycle: 1 source, 0 ok, 1 failed (a: bad ${'x'.repeat(55)}…), 0 new, 0 updated, 0.0 s`],
    ['item pages of fullText sources, their failures counted', report([ok('a'), ok('b')], { added: 30, fullText: [{ sourceId: 'a', read: 19, failed: 1, deferred: 0 }, { sourceId: 'b', read: 1, failed: 0, deferred: 2 }] }), 3000,
      'cycle: 2 sources, 2 ok, 0 failed, 30 new, 0 updated, 20 pages read (1 failed), 3.0 s'],
    ['no page read: nothing said of pages', report([ok('a')], { fullText: [{ sourceId: 'a', read: 0, failed: 0, deferred: 0 }] }), 0,
      'cycle: 1 source, 1 ok, 0 failed, 0 new, 0 updated, 0.0 s'],
  ])('%s', (_name, cycle, ms, line) => {
    expect(summarizeCycle(cycle, ms)).toBe(line);
  });
});
