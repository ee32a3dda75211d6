// boundGarbage(): a full collection once the heap has grown by the budget since the last, none before.
import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { boundGarbage, collectGarbage } from '../../../src/memory/garbage.ts';

const MIB = 1024 * 1024;
const used = () => getHeapStatistics().used_heap_size;

describe('boundGarbage', () => {
  it('collects once the heap has grown past the budget, freeing the garbage, and not again until it grows as much', () => {
    const budget = 8 * MIB;
    collectGarbage();
    // The smallest heap it has seen: nothing grew since.
    expect(boundGarbage(budget)).toBe(false);
    // ~30 MiB of short-lived records, as a batch of rows read and rendered leaves behind.
    let batch: { n: number; text: string }[] | undefined = Array.from({ length: 200_000 }, (_, n) => ({ n, text: String(n).padStart(100, 'x') }));
    const withBatch = used();
    expect(batch.length).toBe(200_000);
    batch = undefined;
    expect(boundGarbage(budget)).toBe(true);
    expect(used()).toBeLessThan(withBatch - 20 * MIB);
    expect(boundGarbage(budget)).toBe(false);
  });

  it('what is still held when it collects becomes the new floor: held data alone does not make it collect again', () => {
    const budget = 8 * MIB;
    collectGarbage();
    boundGarbage(budget);
    const held = Array.from({ length: 200_000 }, (_, n) => ({ n, text: String(n).padStart(100, 'y') }));
    expect(boundGarbage(budget)).toBe(true);
    expect(boundGarbage(budget)).toBe(false);
    expect(held.length).toBe(200_000);
  });
});
