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

/**
 * Work written once as a generator that yields wherever it may pause (every few hundred cheap steps, or after each
 * costly one), and run either at once (runAtOnce: a CLI command, a test) or in slices of the event loop
 * (runInSlices: the service, between requests). The generator must not rely on anything changing while paused.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs the steps to their end without pausing. */
export function runAtOnce<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs the steps, giving the event loop its turn whenever a slice has run `sliceMs` (at a yield of the steps). */
export async function runInSlices<T>(steps: Steps<T>, sliceMs = SLICE_MS): Promise<T> {
  let sliceStart = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart > sliceMs) {
      await yieldToLoop();
      sliceStart = performance.now();
    }
  }
}


/**
 * Paces steps that many callbacks start at once (a cycle's first fetches: each sets up a request, ~1 ms here, and
 * 30-60 of them started in one turn held the event loop 30-56 ms): each caller awaits turn() before its step, and
 * once the steps since the loop's last turn have run SLICE_MS, the next callers wait for the loop's next turn.
 */
export class LoopPacer {
  /** when the steps of the current turn began (0: none yet, so the first caller waits for a turn) */
  #sliceStart = 0;
  readonly #clock: () => number;

  /** `clock`: milliseconds, wall time by default (a test passes the thread's CPU time, which a busy machine does not move) */
  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
  }

  async turn(): Promise<void> {
    while (this.#clock() - this.#sliceStart >= SLICE_MS) {
      const asked = this.#clock();
      await yieldToLoop();
      // The first caller back after the loop's turn starts the new slice; the others count from it.
      if (this.#sliceStart < asked) this.#sliceStart = this.#clock();
    }
  }
}
