// The feed index's list edits run in steps between requests (render/sorted-lists.ts); what they make must be what a
// plain sort and merge make, ties included, or the feeds' bytes and ETags would change from one render to the next.
import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { editedSteps, mergedSteps, sortedSteps } from '../../../src/render/sorted-lists.ts';
import { runAtOnce, runInSlices } from '../../../src/store/slices.ts';
import { newestFirst } from '../../../src/store/store.ts';
import { sampleItem } from '../../helpers/sample-items.ts';

/** `count` items in a scrambled order, many sharing a date and some the very same id (a tie newestFirst cannot break). */
function scrambled(count: number): Item[] {
  return Array.from({ length: count }, (_, i) => {
    const n = (i * 7919) % count;
    const item = sampleItem(Math.floor(n / 3), { id: `id-${n % 50 === 0 ? 'same' : n}`, hash: `h-${i}` });
    return item;
  });
}

describe('sorted lists in steps', () => {
  it('sorts as Array.prototype.sort does (stable), at once and in slices, across several runs of 512', async () => {
    const items = scrambled(5_000);
    const expected = items.slice().sort(newestFirst);
    expect(runAtOnce(sortedSteps(items))).toEqual(expected);
    const sliced = await runInSlices(sortedSteps(items), 0);
    // the very same objects in the very same order, not just equal ones
    expect(sliced.every((item, i) => item === expected[i])).toBe(true);
    expect(runAtOnce(sortedSteps([]))).toEqual([]);
  });

  it('merges two sorted lists keeping the first list\'s item first on a tie', () => {
    const a = scrambled(300).sort(newestFirst);
    const b = a.map((item) => ({ ...item }));
    const merged = runAtOnce(mergedSteps(a, b));
    expect(merged).toHaveLength(600);
    for (let i = 0; i < 600; i += 2) {
      expect(merged[i]).toBe(a[i / 2]);
      expect(merged[i + 1]).toBe(b[i / 2]);
    }
  });

  it('edits a list as removing then inserting one by one would, few edits or many', () => {
    const list = scrambled(3_000).sort(newestFirst);
    for (const [adds, removes] of [[5, 5], [2_000, 0], [0, 1_000], [1_500, 1_500]] as const) {
      const added = scrambled(adds).map((item) => ({ ...item, id: `new-${item.id}` }));
      const removed = new Set(list.filter((_, i) => i % 3 === 0).slice(0, removes));
      const expected = [...list.filter((item) => !removed.has(item)), ...added].sort(newestFirst);
      const edited = runAtOnce(editedSteps(list, added, removed));
      expect(edited.every((item, i) => item === expected[i]) && edited.length === expected.length).toBe(true);
    }
  });
});
