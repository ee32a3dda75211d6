// Items without a usable date get the time they were first seen. All the undated items of one fetch would then
// share one instant: readers could not order them, and Atom validators warn (DuplicateUpdated). They are spaced
// 1 ms apart instead, in document order, the first the latest (feeds list their newest entry first). Once
// stored, an undated item keeps the time it was first given (dedupe/merge.ts), so a restart changes nothing.
import type { Item } from '../model.ts';

/** The items with each undated one's times set to `now` minus its rank among the undated, in milliseconds. */
export function spacedUndated(items: Item[], now: Date): Item[] {
  let rank = 0;
  for (const item of items) {
    if (!item.undated) continue;
    const at = new Date(now.getTime() - rank++).toISOString();
    item.published = at;
    item.updated = at;
  }
  return items;
}
