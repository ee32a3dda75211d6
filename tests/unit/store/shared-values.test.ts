// The items of an opened store hold one copy of what many of them hold alike (issue 15, goal 3: at 100k items the
// parsed items' own copies of empty lists, equal dates and repeated source ids were 14 MiB of 114 MiB), and the
// file written back is the same, byte for byte, item for item.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { SharedValues } from '../../../src/store/shared-values.ts';
import { ItemStore } from '../../../src/store/store.ts';
import { sampleItems } from '../../helpers/sample-items.ts';

const itemLines = (file: string) => readFileSync(file, 'utf8').split('\n').slice(1, -2).map((line) => line.replace(/,$/, ''));

async function storeOf(items: Item[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-shared-'));
  const store = await ItemStore.open(dir, { backups: 0 });
  store.apply(items, []);
  await store.commit();
  return dir;
}

describe('values the items of an opened store share', () => {
  it('gives every item without enclosures, other sources or categories one empty list, not one each', async () => {
    const dir = await storeOf(sampleItems(3, (n) => ({ categories: [], enclosures: [], alsoIn: [], hash: `h${n}` })));
    const [a, b, c] = (await ItemStore.open(dir, { backups: 0 })).items();
    expect(a!.alsoIn).toBe(b!.alsoIn);
    expect(a!.enclosures).toBe(c!.alsoIn);
    expect(b!.categories).toBe(c!.enclosures);
    expect(a!.alsoIn).toEqual([]);
    // Shared, so never changed in place: a change of an item replaces it.
    expect(Object.isFrozen(a!.alsoIn)).toBe(true);
  });

  it('shares the values of items read from the file, and writes the items back exactly as they were read', async () => {
    const items = sampleItems(4, (n) => ({
      categories: n % 2 ? ['news' as Item['categories'][number]] : [], alsoIn: n === 3 ? ['other'] : [], language: 'en',
      ...(n === 1 ? { updated: '2025-03-09T12:00:00.000Z' } : {}),
    }));
    const dir = await storeOf(items.map((item) => JSON.parse(JSON.stringify(item)) as Item));
    const before = itemLines(join(dir, 'store.json'));
    const store = await ItemStore.open(dir, { backups: 0 });
    const [first, second] = store.items();
    expect(first!.enclosures).toBe(second!.enclosures);
    store.apply(sampleItems(1, () => ({ id: 'tag:new', key: 'g:new', alsoIn: [], enclosures: [] })), []);
    await store.commit();
    const after = itemLines(join(dir, 'store.json'));
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 1);
    expect(JSON.parse(after.at(-1)!)).toMatchObject({ id: 'tag:new', alsoIn: [], enclosures: [] });
  });
});

describe('SharedValues.shareStrings, given each line of the file as it is parsed', () => {
  it('changes no value of an item, and leaves alone what is not an item', () => {
    const shared = new SharedValues();
    const [a, b] = sampleItems(2, () => ({ categories: ['news' as Item['categories'][number]], language: 'en' }))
      .map((item) => JSON.parse(JSON.stringify(item)) as Item);
    const before = structuredClone([a, b]);
    shared.shareStrings(a);
    shared.shareStrings(b);
    expect([a, b]).toEqual(before);
    for (const line of [null, 1, 'x', [1, 2], { categories: 'news', sourceId: 7 }]) {
      const copy = structuredClone(line);
      shared.shareStrings(line);
      expect(line).toEqual(copy);
    }
  });
});
