// Opening a store walks every item several times (checks, plain text, duplicates, indexes): at 100k items each walk
// held the event loop for 100–300 ms, while `tributary serve` already answers readers from the kept documents
// (listen first). Each walk runs in slices that give the loop back between them.
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** Longest a slice holds the event loop: well under the 20 ms any one main-thread step may take (issue 15). */
export const SLICE_MS = 8;

/** Items looked at between two looks at the clock: cheap enough that a slice overshoots SLICE_MS by little. */
const CHECK_EVERY = 256;

/** Calls `step` for each item in order, yielding to the event loop whenever a slice has run SLICE_MS. */
export async function eachInSlices<T>(items: readonly T[], step: (item: T, index: number) => void): Promise<void> {
  let sliceStart = performance.now();
  for (let i = 0; i < items.length; i++) {
    step(items[i]!, i);
    if (i % CHECK_EVERY === CHECK_EVERY - 1 && performance.now() - sliceStart > SLICE_MS) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
}
