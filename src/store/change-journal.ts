import type { Item } from '../model.ts';

/** One change of the stored items: an item added (after only), replaced (both) or dropped (before only). */
export interface ItemChange {
  before?: Item;
  after?: Item;
}

/** Changes kept for since(); past this many, readers are told to read every item again. */
const MAX_JOURNAL = 100_000;

/**
 * The changes of the stored items by revision, for the one reader that follows the store (the render): it asks for
 * what changed since the revision it last saw instead of reading every item again.
 */
export class ChangeJournal {
  #entries: { revision: number; change: ItemChange }[] = [];
  /** the oldest revision the journal can tell changes since */
  #from = 0;

  /** Journals a change made by `revision` (the store's revision once the change is counted). */
  record(revision: number, change: ItemChange): void {
    // A revision that overflowed the journal is told to no reader: they read every item again.
    if (this.#from >= revision) return;
    if (this.#entries.length >= MAX_JOURNAL) {
      this.#entries = [];
      this.#from = revision;
      return;
    }
    this.#entries.push({ revision, change });
  }

  /**
   * The changes after `revision` up to `current`, oldest first, or null when they cannot be told (forgotten, or
   * too many). Changes up to `revision` are dropped: the reader will not ask for them again.
   */
  since(revision: number, current: number): ItemChange[] | null {
    if (revision < this.#from || revision > current) return null;
    const seen = this.#entries.findIndex((entry) => entry.revision > revision);
    if (seen < 0) this.#entries = [];
    else if (seen > 0) this.#entries = this.#entries.slice(seen);
    this.#from = revision;
    return this.#entries.map((entry) => entry.change);
  }

  /** From now on, changes are told only from `revision` on. */
  forget(revision: number): void {
    this.#entries = [];
    this.#from = revision;
  }
}
