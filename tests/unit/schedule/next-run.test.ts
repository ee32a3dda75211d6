// nextRun: when a shared-store source is next due (shared-cycle.ts), after now or after a later moment.
import { describe, expect, it } from 'vitest';
import { nextRun } from '../../../src/schedule/scheduler.ts';

describe('nextRun', () => {
  it('is the first run after now for a frequent and for a yearly expression', () => {
    const now = new Date();
    const quarter = nextRun('*/15 * * * *', now);
    expect(quarter.getTime()).toBeGreaterThan(now.getTime());
    expect(quarter.getTime() - now.getTime()).toBeLessThanOrEqual(15 * 60_000);
    expect([quarter.getMinutes() % 15, quarter.getSeconds(), quarter.getMilliseconds()]).toEqual([0, 0, 0]);
    const yearly = nextRun('0 0 1 1 *', now);
    // in the process's time zone, as the expression is read
    expect([yearly.getFullYear(), yearly.getMonth(), yearly.getDate(), yearly.getHours(), yearly.getMinutes()]).toEqual([now.getFullYear() + 1, 0, 1, 0, 0]);
  });

  it('is the first run after a moment ahead of the clock, not the first after now', () => {
    const later = new Date(Date.now() + 50 * 60_000);
    const next = nextRun('*/15 * * * *', later);
    expect(next.getTime()).toBeGreaterThan(later.getTime());
    expect(next.getTime() - later.getTime()).toBeLessThanOrEqual(15 * 60_000);
    // a run of the expression, not a fallback interval counted from `later`
    expect([next.getMinutes() % 15, next.getSeconds(), next.getMilliseconds()]).toEqual([0, 0, 0]);
  });
});
