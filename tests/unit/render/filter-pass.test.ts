import { describe, expect, it } from 'vitest';
import { FeedQueryError, FilterBusyError } from '../../../src/render/errors.ts';
import { FILTER_SLICE_MS, FilterBudgetError, filterItems } from '../../../src/render/filter-pass.ts';
import type { TextPattern } from '../../../src/render/item-filter.ts';
import { plain } from '../../helpers/plain-text.ts';
import { sampleItems } from '../../helpers/sample-items.ts';

/** A clock the test moves, and a pattern whose every step of work (cost x character) takes `msPerStep` of it. */
function timed(msPerStep: number, cost = 10) {
  const clock = { now: 0 };
  const pattern: TextPattern = {
    source: '/x/',
    cost,
    test: (text) => {
      clock.now += text.length * cost * msPerStep;
      return text.includes('x');
    },
  };
  return { clock, pattern, read: () => clock.now };
}

describe('a filtering pass in slices', () => {
  it('pauses between slices of at most FILTER_SLICE_MS, and a costly item starts a slice of its own', async () => {
    // Short items cost 0.2 ms each, every tenth one 8 ms (4000 characters): a slice of 9 ms plus one costly item
    // would hold the loop 17 ms; it must yield before the costly item instead.
    const items = sampleItems(200, (n) => (n % 10 === 0 ? { title: plain('x'.repeat(4000)), summary: undefined } : { title: plain('y'.repeat(40)), summary: undefined }));
    const { pattern, read } = timed(0.0002);
    const slices: { start: number; end: number; items: number }[] = [];
    let start = 0;
    let checked = 0;
    const counting: TextPattern = { ...pattern, test: (text) => (checked++, pattern.test(text)) };
    let before = 0;
    const kept = await filterItems(items, {
      filter: counting,
      clock: read,
      pause: async () => {
        slices.push({ start, end: read(), items: checked - before });
        before = checked;
        start = read();
      },
    });
    slices.push({ start, end: read(), items: checked - before });
    expect(kept).toHaveLength(20);
    expect(slices.length).toBeGreaterThan(10);
    const costly = 4001 * 10 * 0.0002;
    for (const slice of slices) {
      const held = slice.end - slice.start;
      // Either within the slice time (plus the one item that ended it, short here), or one costly item alone.
      if (slice.items > 1) expect(held, JSON.stringify(slice)).toBeLessThanOrEqual(FILTER_SLICE_MS + 0.2);
      else expect(held).toBeLessThanOrEqual(costly + 0.01);
    }
  });

  it('lets other callbacks of the event loop run while it works', async () => {
    // Real time: 40 items of 1 ms each are four slices at least.
    const busy: TextPattern = {
      source: '/x/',
      cost: 1,
      test: () => {
        const until = performance.now() + 1;
        while (performance.now() < until);
        return true;
      },
    };
    let ranDuringPass = false;
    let done = false;
    const timer = setInterval(() => (ranDuringPass ||= !done), 0);
    const kept = await filterItems(sampleItems(40), { filter: busy });
    done = true;
    clearInterval(timer);
    expect(kept).toHaveLength(40);
    expect(ranDuringPass).toBe(true);
  });

  it('gives concurrent passes one slice per turn of the event loop between them, not one each', async () => {
    // A timer callback counts the turns: two slices in one turn would see the same count.
    let turn = 0;
    const ticker = setInterval(() => turn++, 0);
    const seen: { pass: string; turn: number }[] = [];
    const busy = (pass: string): TextPattern => ({
      source: `/${pass}/`,
      cost: 1,
      test: () => {
        if (seen.at(-1)?.pass !== pass || seen.at(-1)?.turn !== turn) seen.push({ pass, turn });
        const until = performance.now() + 2;
        while (performance.now() < until);
        return true;
      },
    });
    await Promise.all(['a', 'b', 'c'].map((pass) => filterItems(sampleItems(20), { filter: busy(pass) })));
    clearInterval(ticker);
    expect(new Set(seen.map((s) => s.pass))).toEqual(new Set(['a', 'b', 'c']));
    const turns = seen.map((s) => s.turn);
    expect(new Set(turns).size, JSON.stringify(seen)).toBe(turns.length);
  });

  it('refuses with FilterBudgetError, a 400 naming the parameter, when the patterns outwork the budget', async () => {
    const { pattern, read } = timed(0.5);
    const error = await filterItems(sampleItems(100, () => ({ title: plain('x'.repeat(400)), summary: undefined })), { filterout: pattern, clock: read, pause: async () => {} }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FilterBudgetError);
    expect(error).toBeInstanceOf(FeedQueryError);
    expect((error as FeedQueryError).param).toBe('filterout');
    expect((error as Error).message).toMatch(/^filterout: took longer than 1000 ms \(1 of 100 items checked\)/);
  });

  it('gives up with FilterBusyError (503, not the pattern\'s fault) when waiting for other work outlasts the deadline', async () => {
    const { clock, pattern, read } = timed(0.00001);
    // Every pause waits a second for other requests: the pass itself is cheap.
    const error = await filterItems(sampleItems(400, () => ({ title: plain('x'.repeat(4000)) })), { filter: pattern, clock: read, pause: async () => void (clock.now += 1000) })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FilterBusyError);
    expect(error).not.toBeInstanceOf(FeedQueryError);
    expect((error as Error).message).toMatch(/^filter: the server is busy/);
  });
});
