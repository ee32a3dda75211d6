// One filtering pass over a feed's items for ?filter= / ?filterout=, run in slices so that no request holds
// the event loop: between slices other requests (/healthz, feeds, other passes) are answered. A pass over
// 10,000 items can take a second of work with a costly pattern; done at once, it stalled every client.
import type { Item } from '../model.ts';
import { FeedQueryError, FilterBusyError } from './errors.ts';
import { searchText, type SearchableItem, type TextPattern } from './item-filter.ts';

/**
 * Wall time a pass works before it lets the event loop run other callbacks. Short, because a collection of the
 * young generation (10-17 ms measured with 10,000 items in memory) can fall right after a slice.
 */
export const FILTER_SLICE_MS = 5;
/**
 * Time the reader's patterns may take over one pass, summed over its slices (the texts are ours to make and
 * are not counted). Past it the request is refused with 400: the pattern, not the server, is the problem.
 * Everyday filters over 10,000 items of news took 80-250 ms of it on a 2-core machine; a second leaves room
 * for a busy machine (the time is wall time) without letting one request take the CPU for long.
 */
export const FILTER_BUDGET_MS = 1000;
/**
 * Wall time a pass may take, waiting included: past it the server is too busy with other passes, so the
 * request gets 503 with Retry-After and is not remembered as refused.
 */
export const FILTER_DEADLINE_MS = 10_000;

/** Filtering took longer than its budget; the reader should use a simpler pattern (HTTP 400). */
export class FilterBudgetError extends FeedQueryError {
  constructor(param: string, checked: number, total: number) {
    super(param, `took longer than ${FILTER_BUDGET_MS} ms (${checked} of ${total} items checked); use a simpler pattern`);
    this.name = 'FilterBudgetError';
  }
}

export interface FilterOptions {
  filter?: TextPattern;
  filterout?: TextPattern;
  /** the clock of slices, budget and deadline, in milliseconds */
  clock?: () => number;
  /** waits for the pass's next turn; by default one slice of any pass per turn of the event loop */
  pause?: () => Promise<void>;
}

const MIN_STEPS_TO_LEARN = 4096;
/** how much of the slowest time per step each new measure keeps: a pause of the collector is forgotten in a few dozen items */
const FORGET = 0.95;

/**
 * Turns of the event loop for filtering: one slice per turn, whichever pass is next, so that four passes at once
 * hold the loop no longer than one. A pass that merely awaited setImmediate would be resumed in the same turn as
 * every other waiting pass, one slice after another, before any request is read.
 */
class SliceTurns {
  readonly #waiting: (() => void)[] = [];
  #scheduled = false;

  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting.length === 0) return;
    this.#scheduled = true;
    // Scheduled from within the check phase, the next immediate runs in the next turn, after I/O.
    setImmediate(() => {
      this.#scheduled = false;
      this.#waiting.shift()!();
      this.#schedule();
    });
  }
}

const turns = new SliceTurns();
const nextTurn = () => turns.wait();

/**
 * The items whose title + summary matches `filter` and not `filterout`, in their order. Throws
 * FilterBudgetError (400) past the budget and FilterBusyError (503) past the deadline.
 */
export async function filterItems(items: readonly Item[], options: FilterOptions): Promise<Item[]> {
  const { filter, filterout } = options;
  const pass = new FilterPass(options);
  // One pattern at a time: what one step of a pass can cost is then one pattern's (regex-cost.ts), even
  // when both parameters are given.
  let kept = [...items];
  if (filter) kept = await pass.run('filter', kept, filter, true);
  if (filterout) kept = await pass.run('filterout', kept, filterout, false);
  return kept;
}

/**
 * The slices, the budget and the deadline of one request's filtering, over one or two patterns. A store that
 * reads a feed's items in chunks (the PostgreSQL store) filters every chunk through one pass: the budget and the
 * deadline hold for the whole request, not per chunk.
 */
export class FilterPass {
  readonly #clock: () => number;
  readonly #pause: () => Promise<void>;
  readonly #started: number;
  #worked = 0;
  /** items each pattern checked in the earlier chunks, for the refusal's count */
  readonly #checked = new Map<string, number>();

  constructor(options: Pick<FilterOptions, 'clock' | 'pause'> = {}) {
    this.#clock = options.clock ?? (() => performance.now());
    this.#pause = options.pause ?? nextTurn;
    this.#started = this.#clock();
  }

  /** The items of one chunk that match `filter` and not `filterout`; `total` is what a refusal says was to be checked. */
  async chunk<T extends SearchableItem>(items: readonly T[], options: Pick<FilterOptions, 'filter' | 'filterout'>, total: number): Promise<T[]> {
    let kept: readonly T[] = items;
    if (options.filter) kept = await this.run('filter', kept, options.filter, true, total);
    if (options.filterout) kept = await this.run('filterout', kept, options.filterout, false, total);
    return [...kept];
  }

  /** The items for which pattern.test() is `keep`. */
  async run<T extends SearchableItem>(param: string, items: readonly T[], pattern: TextPattern, keep: boolean, total = items.length): Promise<T[]> {
    const clock = this.#clock;
    const before = this.#checked.get(param) ?? 0;
    this.#checked.set(param, before + items.length);
    // The slowest time per step of work (pattern cost x character) seen so far: it predicts whether the next
    // item still fits in the slice, so that a costly item starts a slice rather than ending one late. Learnt
    // from items of some length only: on a short title a timer tick or a collection would pass for the
    // pattern's speed.
    let msPerStep = 0;
    const kept: T[] = [];
    let i = 0;
    while (i < items.length) {
      // Every slice waits for its turn, the first too: a request that starts a pass returns at once.
      await this.#pause();
      const sliceStart = clock();
      if (sliceStart - this.#started > FILTER_DEADLINE_MS) throw new FilterBusyError(param, FILTER_DEADLINE_MS);
      for (let inSlice = 0; i < items.length; inSlice++) {
        const item = items[i]!;
        const text = searchText(item);
        const steps = pattern.cost * text.length;
        const testStart = clock();
        if (inSlice > 0 && testStart - sliceStart + steps * msPerStep > FILTER_SLICE_MS) break;
        const matches = pattern.test(text);
        const testEnd = clock();
        this.#worked += testEnd - testStart;
        if (steps >= MIN_STEPS_TO_LEARN) msPerStep = Math.max((testEnd - testStart) / steps, msPerStep * FORGET);
        if (this.#worked > FILTER_BUDGET_MS) throw new FilterBudgetError(param, before + i + 1, total);
        if (matches === keep) kept.push(item);
        i++;
      }
    }
    return kept;
  }
}
