// Items read from a store file each carry their own copy of values that many items hold alike: JSON.parse makes a
// new string for every "sourceId", category and language, three for dates that are mostly equal (published,
// updated and firstSeen of an item seen once), and a new empty array for every item without enclosures or other
// sources. At 100k items that was 14 MiB of the 114 MiB the parsed items held. Here equal values become one value:
// nothing an item says changes (the file written back is byte for byte the same), only how many copies of it exist.
import type { Item, PlainText } from '../model.ts';

/** One empty list for every item that has none; frozen, since items are replaced, never mutated. */
const NONE: never[] = Object.freeze([]) as unknown as never[];

/** The table of one store's open: strings kept once, dropped with it once the store is loaded. */
export class SharedValues {
  readonly #strings = new Map<string, string>();

  /** Makes `item` hold shared copies of its repeated values, in place (it was just parsed, nobody else holds it). */
  share(item: Item): void {
    item.sourceId = this.#string(item.sourceId);
    if (typeof item.language === 'string') item.language = this.#string(item.language);
    if (Array.isArray(item.categories)) {
      item.categories = item.categories.length === 0 ? NONE : item.categories.map((c) => this.#string(c) as PlainText);
    }
    shareWithin(item);
  }

  /**
   * The strings share() shares, as a line of the file is parsed (store.ts): the copies die young there, and what
   * share() then finds is already the shared value. Strings only: lists stay the item's own until the file is
   * migrated and checked, and nothing here assumes the line is a valid item.
   */
  shareStrings(value: unknown): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
    const item = value as Partial<Record<'sourceId' | 'language' | 'published' | 'updated' | 'firstSeen', unknown>> & { categories?: unknown };
    if (typeof item.sourceId === 'string') item.sourceId = this.#string(item.sourceId);
    if (typeof item.language === 'string') item.language = this.#string(item.language);
    if (Array.isArray(item.categories)) for (let i = 0; i < item.categories.length; i++) item.categories[i] = this.#string(item.categories[i] as string);
    if (item.updated === item.published) item.updated = item.published;
    if (item.firstSeen === item.published) item.firstSeen = item.published;
    else if (item.firstSeen === item.updated) item.firstSeen = item.updated;
    const record = (value as { fullText?: unknown }).fullText;
    if (typeof record === 'object' && record !== null && typeof (record as { settings?: unknown }).settings === 'string') {
      // The settings a page was read with are the same for all of a source's items.
      (record as { settings: string }).settings = this.#string((record as { settings: string }).settings);
    }
    sharePageRecord(value as Partial<Item>);
  }

  #string(value: string): string {
    if (typeof value !== 'string') return value;
    const known = this.#strings.get(value);
    if (known !== undefined) return known;
    this.#strings.set(value, value);
    return value;
  }
}

/** What needs no table: the item's equal dates as one string, its empty lists as the shared one. */
export function shareWithin(item: Item): void {
  if (item.updated === item.published) item.updated = item.published;
  if (item.firstSeen === item.published) item.firstSeen = item.published;
  else if (item.firstSeen === item.updated) item.firstSeen = item.updated;
  if (Array.isArray(item.enclosures) && item.enclosures.length === 0) item.enclosures = NONE;
  if (Array.isArray(item.alsoIn) && item.alsoIn.length === 0) item.alsoIn = NONE;
  sharePageRecord(item);
}

/** A fullText record (src/fulltext/) repeats its item's link and hashes: one string each. */
function sharePageRecord(item: Partial<Item>): void {
  const record = item.fullText;
  if (typeof record !== 'object' || record === null) return;
  if (record.link === item.link) record.link = item.link;
  if (record.feedHash === item.hash) record.feedHash = item.hash;
  if (record.readFor === record.feedHash) record.readFor = record.feedHash;
}
