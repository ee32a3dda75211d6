// Proves the start benchmark runs (bench/start.ts): at a tiny size, every figure against its goal, and each restart
// answered latest.atom with the ETag of before. Never how fast: that is `npm run bench`.
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../bench/report.ts';
import { run } from '../../bench/start.ts';

describe('the start benchmark at a tiny size', () => {
  it('times /healthz, latest.atom and check against their goals, latest.atom with the ETag of before the restart', async () => {
    const rows = await run({ sizes: [0, 200], sources: 5, starts: 1, checks: 1 });
    expect(rows.map((r) => r.name)).toEqual([
      '0 items: spawn to first /healthz 200', '0 items: spawn to first /feeds/latest.atom 200',
      '200 items: spawn to first /healthz 200', '200 items: spawn to first /feeds/latest.atom 200',
      'tributary check, 3-line config: wall time',
    ]);
    for (const row of rows) {
      expect(row.module).toBe('start');
      expect(row.measured.value).toBeGreaterThan(0);
      expect(row.ratio).toBeCloseTo(row.measured.value / row.reference.value);
      expect(row.reference.value).toBe(row.name.startsWith('tributary check') ? 500 : 1000);
      expect(typeof row.goal?.met).toBe('boolean');
    }
    for (const row of rows.filter((r) => r.name.endsWith('/healthz 200'))) {
      // Whether it came before the store was loaded depends on timing at this size: not asserted.
      const passes = (row.detail as { passes: { sameEtag: boolean }[] }).passes;
      expect(passes.length).toBe(1);
      expect(passes.every((p) => p.sameEtag)).toBe(true);
    }
    expect(formatTable(rows)).toContain('tributary check');
  }, 120_000);
});
