// A store too big for the JavaScript heap Node allows this process. V8 does not fail an allocation with an error
// the program can catch: at its heap limit it prints "FATAL ERROR: Reached heap limit" and a native stack and
// aborts (SIGABRT), naming neither the store nor what to do. Node's default limit is a quarter of the machine's
// memory up to about 4 GiB, so the same store loads on one machine and kills the start on a smaller one, and near
// the limit it depends on when the collector runs (issue 15: one 1M-item start in four died before answering).
// While the store loads, the heap is looked at after every full collection, and by the load itself every few
// hundred items (check()): once what survives a full collection fills most of the limit, the start is given up with
// StoreTooLargeError, which says which file, how big, and what to change. The observer alone was not enough: V8
// can abort at its first full collection near the limit (on a busy machine, where the collector's share of the
// time is high, it counts it as ineffective at once), before the observer's callback ever runs; check() runs
// between items, so it sees the heap fill and makes that collection itself, early enough to stop in order.
import { totalmem } from 'node:os';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { collectGarbage } from '../memory/garbage.ts';

/**
 * Share of the heap limit that may survive a full collection while loading. Above it the load cannot finish and
 * still leave room for a fetch cycle and a render. It must stay under V8's own line: V8 aborts after four
 * consecutive full collections that leave 80% or more of the old generation's limit in use while the program gets
 * less than 40% of the time (a busy machine, a heap that is mostly live), so at 85% the process sometimes died before
 * any check saw the heap there.
 */
export const HEAP_FULL_SHARE = 0.75;

/** After a collection found the heap under the share, the next is made only once the heap has grown this much more. */
const RECHECK_GROWTH = 0.05;

const MIB = 1024 * 1024;

/**
 * What V8 keeps for the young generation inside heap_size_limit on 64-bit (three 16 MiB semi-spaces): the limit
 * that aborts the process is the old generation's, heap_size_limit minus this (--max-old-space-size itself).
 */
const YOUNG_GENERATION = 48 * MIB;
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);

/** Bytes that survived into the old generation (everything but the young spaces), and its limit. */
function oldGeneration(): { used: number; limit: number } {
  const used = getHeapSpaceStatistics().filter((space) => !YOUNG_SPACES.has(space.space_name)).reduce((sum, space) => sum + space.space_used_size, 0);
  return { used, limit: Math.max(getHeapStatistics().heap_size_limit - YOUNG_GENERATION, MIB) };
}

export interface HeapUse {
  usedMiB: number;
  limitMiB: number;
}

/** The store does not fit in the heap this process may use: nothing was written, the file is as it was. */
export class StoreTooLargeError extends Error {
  readonly file: string;
  readonly fileBytes: number;
  readonly heap: HeapUse;
  constructor(file: string, fileBytes: number, heap: HeapUse, machineMiB = Math.round(totalmem() / MIB)) {
    const suggested = Math.ceil((heap.limitMiB * 2) / 512) * 512;
    const bigger = suggested <= machineMiB * 0.75
      ? `give it a bigger heap: NODE_OPTIONS=--max-old-space-size=${suggested} (this machine has ${machineMiB} MiB)`
      : `this machine (${machineMiB} MiB) has no room for a much bigger heap; run it where there is`;
    super(`store file ${file} (${Math.round(fileBytes / MIB)} MiB) does not fit in the memory this process may use: loading it `
      + `filled ${heap.usedMiB} of the ${heap.limitMiB} MiB of JavaScript heap Node allows here (by default a quarter of the `
      + `machine's memory, at most about 4 GiB), and Node would have aborted. The file was left untouched. To start, ${bigger}; `
      + 'to store less, lower retention.maxItemsPerSource or retention.maxAgeDays and run `tributary prune --now` with that '
      + 'bigger heap once; beyond what one process holds, the PostgreSQL store is the answer.');
    this.name = 'StoreTooLargeError';
    this.file = file;
    this.fileBytes = fileBytes;
    this.heap = heap;
  }
}

export interface HeapWatch {
  /**
   * For a long synchronous load to call every few hundred steps: cheap while the old generation (garbage
   * included) is under the share; above it, collects, and calls onFull if what survives is still above.
   */
  check(): void;
  /** stops watching */
  stop(): void;
}

/**
 * Calls onFull (once) when what survives a full garbage collection exceeds HEAP_FULL_SHARE of the heap limit:
 * after any full collection V8 makes (seen by an observer, between tasks), and at each check().
 */
export function watchHeapLimit(onFull: (heap: HeapUse) => void, share = HEAP_FULL_SHARE): HeapWatch {
  let done = false;
  const full = (): boolean => {
    const heap = oldGeneration();
    if (heap.used <= heap.limit * share) return false;
    done = true;
    observer.disconnect();
    onFull({ usedMiB: Math.round(heap.used / MIB), limitMiB: Math.round(heap.limit / MIB) });
    return true;
  };
  const observer = new PerformanceObserver((list) => {
    if (done) return;
    const major = list.getEntries().some((entry) => ((entry as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (major) full();
  });
  observer.observe({ entryTypes: ['gc'] });
  // What the heap held after the last collection check() made, which found it under the share.
  let survived = 0;
  return {
    check: () => {
      if (done) return;
      // The young generation counts too: what a load keeps is promoted from it in one go (up to tens of MiB at
      // once), which took the heap past its limit between two checks that saw only the old generation.
      const heap = oldGeneration();
      const young = getHeapSpaceStatistics().filter((space) => YOUNG_SPACES.has(space.space_name)).reduce((sum, space) => sum + space.space_used_size, 0);
      if (heap.used + young <= Math.max(heap.limit * share, survived + heap.limit * RECHECK_GROWTH)) return;
      // Garbage counts in what the heap holds until it is collected: only what survives a collection decides.
      collectGarbage();
      if (!full()) survived = oldGeneration().used;
    },
    stop: () => {
      done = true;
      observer.disconnect();
    },
  };
}
