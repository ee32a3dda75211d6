// The one repair a store's open makes itself: an item written twice (same id, or same source and dedupe key) is kept
// once, the most recently updated copy, in the place of the first.
import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { withoutDuplicates } from '../../../src/store/stored-items.ts';
import { sampleItem } from '../../helpers/sample-items.ts';

const at = (hour: number) => new Date(Date.UTC(2025, 0, 1, hour)).toISOString();
const item = (id: string, sourceId: string, key: string, hour: number): Item => sampleItem(1, { id, sourceId, key, updated: at(hour) });

describe('withoutDuplicates', () => {
  const a = item('a', 'world', 'g:1', 1);
  const b = item('b', 'world', 'g:2', 1);
  const rows: [string, Item[], string[], number][] = [
    ['no duplicates: the same items, in order', [a, b], ['a@1', 'b@1'], 0],
    ['the same id twice: the newer copy, in the first place', [a, b, item('a', 'world', 'g:1', 5)], ['a@5', 'b@1'], 1],
    ['the same id twice, the first newer: the first', [item('a', 'world', 'g:1', 5), b, a], ['a@5', 'b@1'], 1],
    ['the same source and key under another id', [a, b, item('c', 'world', 'g:1', 7)], ['c@7', 'b@1'], 1],
    ['the same key in another source is another item', [a, item('c', 'other', 'g:1', 7)], ['a@1', 'c@7'], 0],
    ['a key equal to another item\'s id is no match', [a, item('c', 'world', 'a', 7)], ['a@1', 'c@7'], 0],
    ['three copies by id and by key', [a, item('a', 'world', 'g:9', 3), item('z', 'world', 'g:9', 4)], ['z@4'], 2],
  ];

  it.each(rows)('%s', async (_name, items, kept, dropped) => {
    const result = await withoutDuplicates(items);
    expect(result.items.map((i) => `${i.id}@${new Date(i.updated!).getUTCHours()}`)).toEqual(kept);
    expect(result.dropped).toBe(dropped);
  });
});
