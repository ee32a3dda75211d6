// What a store file's items must be before they are indexed, and the one repair open() makes itself: an item
// written twice (a hand edit, an old bug) is kept once. Anything else wrong is refused with the item's index
// and field, so an operator can find it in the file (one item per line: line = index + 2).
import type { Item } from '../model.ts';
import { eachInSlices } from './slices.ts';

/** The first problem of a store's items, as "item N (id …): field is …", or undefined when they are usable. */
export async function storedItemsProblem(items: readonly unknown[]): Promise<string | undefined> {
  let problem: string | undefined;
  await eachInSlices(items, (item, i) => {
    problem ??= itemProblem(item, i);
  });
  return problem;
}

function itemProblem(item: unknown, i: number): string | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return `item ${i} (line ${i + 2}) is not an object`;
  const { id, sourceId } = item as Partial<Item>;
  if (typeof id !== 'string' || id === '') return `item ${i} (line ${i + 2}): field "id" is ${describe(id)}, not a non-empty string`;
  if (typeof sourceId !== 'string' || sourceId === '') return `item ${i} (line ${i + 2}, id ${id}): field "sourceId" is ${describe(sourceId)}, not a non-empty string`;
  return undefined;
}

/**
 * The items with each story once: two entries with the same id, or with the same source and dedupe key, are
 * one item. The copy kept is the most recently updated (the first of equals), in the place of the first copy.
 */
export async function withoutDuplicates(items: readonly Item[]): Promise<{ items: Item[]; dropped: number }> {
  // Keyed by the items' own strings (no "id\0…" or "source\0key" made per item): at 100k items those 200k
  // strings were ~25 MiB that outlived the young generation and waited for a full collection.
  const atId = new Map<string, number>();
  const atKey = new Map<string, Map<string, number>>();
  const kept: (Item | undefined)[] = [];
  let dropped = 0;
  await eachInSlices(items, (item) => {
    const hasKey = typeof item.key === 'string';
    let keys = hasKey ? atKey.get(item.sourceId) : undefined;
    if (hasKey && !keys) atKey.set(item.sourceId, keys = new Map());
    const at = atId.get(item.id) ?? keys?.get(item.key);
    if (at === undefined) {
      atId.set(item.id, kept.length);
      keys?.set(item.key, kept.length);
      kept.push(item);
      return;
    }
    dropped++;
    const current = kept[at]!;
    if ((item.updated ?? '') > (current.updated ?? '')) kept[at] = item;
    if (!atId.has(item.id)) atId.set(item.id, at);
    if (keys && !keys.has(item.key)) keys.set(item.key, at);
  });
  return { items: dropped === 0 ? [...items] : kept.filter((i): i is Item => i !== undefined), dropped };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  return `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}
