// Edits of the feed index's lists (render/feed-index.ts), newest first, as Steps (store/slices.ts) so the service
// makes them between requests: after a cycle of 1,000 sources × 20 new items over 100k stored, sorting the 20k new
// items and merging them into the 120k-item latest list held the serving thread ~200 ms in one go (issue 15).
// The results are exactly those of Array.prototype.sort and a plain merge: the engine's sort is stable, and so is
// the merge here (on a tie the item already in the list comes first).
import type { Item } from '../model.ts';
import { newestFirst } from '../store/store.ts';
import type { Steps } from '../store/slices.ts';

/** Past this many edits of one list, merging beats inserting one by one. */
export const FEW = 16;

/** Items sorted by the engine in one go (well under a millisecond), before the sorted runs are merged. */
const RUN = 512;

/** Items handled between two yields of a walk or merge: a fraction of a millisecond. */
const STEP = 2048;

/** A new list: `list` without `removes`, then with `adds` in their places. */
export function* editedSteps(list: readonly Item[], adds: Item[], removes: ReadonlySet<Item>): Steps<Item[]> {
  let next: Item[];
  if (removes.size === 0) next = list.slice();
  else if (removes.size <= FEW) {
    next = list.slice();
    for (const item of removes) removeFrom(next, item);
  } else {
    next = [];
    for (let i = 0; i < list.length; i++) {
      if (!removes.has(list[i]!)) next.push(list[i]!);
      if (i % STEP === STEP - 1) yield;
    }
  }
  if (adds.length <= FEW) {
    for (const item of adds) next.splice(firstAfter(next, item), 0, item);
    return next;
  }
  return yield* mergedSteps(next, yield* sortedSteps(adds));
}

/** `items` sorted newest first, as `items.slice().sort(newestFirst)` sorts them (stable), in steps. */
export function* sortedSteps(items: readonly Item[]): Steps<Item[]> {
  let runs: Item[][] = [];
  for (let i = 0; i < items.length; i += RUN) {
    runs.push(items.slice(i, i + RUN).sort(newestFirst));
    yield;
  }
  if (runs.length === 0) return [];
  // Neighbouring runs merged, the earlier one first on a tie: the order of a stable sort.
  while (runs.length > 1) {
    const next: Item[][] = [];
    for (let i = 0; i < runs.length; i += 2) next.push(i + 1 < runs.length ? yield* mergedSteps(runs[i]!, runs[i + 1]!) : runs[i]!);
    runs = next;
  }
  return runs[0]!;
}

/** Two lists sorted newest first, as one; on a tie `a`'s item comes first. */
export function* mergedSteps(a: readonly Item[], b: readonly Item[]): Steps<Item[]> {
  const out = new Array<Item>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    out[k++] = newestFirst(b[j]!, a[i]!) < 0 ? b[j++]! : a[i++]!;
    if (k % STEP === 0) yield;
  }
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

/** Index of the first item that sorts after `item` (so equal ones stay in the order they came). */
function firstAfter(list: readonly Item[], item: Item): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (newestFirst(list[mid]!, item) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Removes every occurrence of `item` (found by its place in the order, then by identity). */
function removeFrom(list: Item[], item: Item): void {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (newestFirst(list[mid]!, item) < 0) low = mid + 1;
    else high = mid;
  }
  for (let i = low; i < list.length && newestFirst(list[i]!, item) === 0;) {
    if (list[i] === item) list.splice(i, 1);
    else i++;
  }
}
