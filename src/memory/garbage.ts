// Full garbage collections made by the program, at moments it chooses. V8 lets the heap grow to two to four times
// what survived its last full collection before it makes the next one: cheap in CPU, but for a process whose work
// comes in bursts of short-lived data (a render of every feed, a read of every published document) the peak RSS is
// that slack, not what is held. On the PostgreSQL store the renderer's instance held 50-90 MiB after a collection
// and peaked at 230 MiB of heap before V8 made one (issue 16: 300 MB per instance at 1M stored items).
// boundGarbage(), called between batches of such work, makes a full collection once the heap has grown by a budget
// since the last one it made: the heap stays near what is held plus the budget, for one collection per budget's
// worth of garbage (tens of milliseconds each, with tens of MiB held).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const MIB = 1024 * 1024;

/** How much the heap may grow past what the last collection left before boundGarbage() makes one. */
export const GARBAGE_BUDGET = 32 * MIB;

let fullCollection: (() => void) | undefined;

/**
 * A full garbage collection, made now. Node gives a program this function only with --expose-gc, which a
 * started process can still turn on for functions made afterwards (the flag is read when a context is made).
 */
export function collectGarbage(): void {
  if (!fullCollection) {
    setFlagsFromString('--expose-gc');
    fullCollection = runInNewContext('gc') as () => void;
  }
  fullCollection();
}

/**
 * The heap, and the memory outside it that its objects own (Buffers' bytes: bodies read from the database,
 * documents rendered, their gzip forms), which a collection frees with them. Freed Buffers go back to malloc, which
 * keeps most of what it once held: the most Buffers alive at once sets the process's RSS for good (at the start of
 * an instance reading every published document, 40-60 MiB of bodies waiting for a collection, and the C heap stayed
 * at 80 MiB after).
 */
function heldNow(): number {
  const heap = getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

/** What the heap held after the last collection boundGarbage() made (or the least it has seen since). */
let floor = Number.POSITIVE_INFINITY;

/**
 * Makes a full collection if the heap and its Buffers have grown by more than `budget` bytes since the last one made
 * here (or since the least seen, when V8 collected meanwhile); true when it did. Cheap otherwise: one look at the heap's
 * size. Call it between batches of work that make garbage, never inside a request's hot path.
 */
export function boundGarbage(budget = GARBAGE_BUDGET): boolean {
  const used = heldNow();
  if (used < floor) floor = used;
  if (used - floor <= budget) return false;
  collectGarbage();
  floor = heldNow();
  return true;
}
