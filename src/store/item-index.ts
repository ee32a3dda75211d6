import type { Item } from '../model.ts';

/**
 * The embedded store's lookups over its items, kept up to date item by item: by id, by source and dedupe key, by
 * canonical link, by fingerprint, and a count per source. Holds references to the items, never copies.
 */
export class ItemIndex {
  readonly #byId = new Map<string, Item>();
  /**
   * per source, its items by dedupe key. Nested rather than keyed by "source\0key": those 100k made keys were
   * ~6 MiB of strings at 100k items (issue 15, goal 3).
   */
  readonly #bySourceKey = new Map<string, Map<string, Item>>();
  readonly #byLink = new Map<string, Item>();
  /** the item of a fingerprint, or its items when several share it: most are alone, and a list each was ~5 MiB at 100k */
  readonly #byFingerprint = new Map<string, Item | Item[]>();
  readonly #countBySource = new Map<string, number>();

  get size(): number {
    return this.#byId.size;
  }

  byId(id: string): Item | undefined {
    return this.#byId.get(id);
  }

  hasId(id: string): boolean {
    return this.#byId.has(id);
  }

  bySourceKey(sourceId: string, key: string): Item | undefined {
    return this.#bySourceKey.get(sourceId)?.get(key);
  }

  byCanonicalLink(link: string): Item | undefined {
    return this.#byLink.get(link);
  }

  byFingerprint(fingerprint: string): readonly Item[] {
    const found = this.#byFingerprint.get(fingerprint);
    return found === undefined ? [] : Array.isArray(found) ? found : [found];
  }

  itemsOf(sourceId: string): Iterable<Item> {
    return this.#bySourceKey.get(sourceId)?.values() ?? [];
  }

  countOf(sourceId: string): number {
    return this.#countBySource.get(sourceId) ?? 0;
  }

  /** sources with at least one item, and their counts */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [sourceId, count] of this.#countBySource) if (count > 0) counts.set(sourceId, count);
    return counts;
  }

  /** Forgets every item, then indexes these. */
  rebuild(items: Iterable<Item>): void {
    this.#byId.clear();
    this.#bySourceKey.clear();
    this.#byLink.clear();
    this.#byFingerprint.clear();
    this.#countBySource.clear();
    for (const item of items) this.add(item);
  }

  /** The first item of a canonical link keeps it: a later one of the same link is found by the other lookups. */
  add(item: Item): void {
    this.#countBySource.set(item.sourceId, this.countOf(item.sourceId) + 1);
    this.#byId.set(item.id, item);
    let keys = this.#bySourceKey.get(item.sourceId);
    if (!keys) this.#bySourceKey.set(item.sourceId, keys = new Map());
    keys.set(item.key, item);
    if (item.canonicalLink && !this.#byLink.has(item.canonicalLink)) this.#byLink.set(item.canonicalLink, item);
    if (item.fingerprint) {
      const found = this.#byFingerprint.get(item.fingerprint);
      if (found === undefined) this.#byFingerprint.set(item.fingerprint, item);
      else if (Array.isArray(found)) found.push(item);
      else this.#byFingerprint.set(item.fingerprint, [found, item]);
    }
  }

  /** Removes this very item (by identity): an entry that already names another item is left alone. */
  remove(item: Item): void {
    if (this.#byId.get(item.id) === item) {
      this.#byId.delete(item.id);
      this.#countBySource.set(item.sourceId, this.countOf(item.sourceId) - 1);
    }
    const keys = this.#bySourceKey.get(item.sourceId);
    if (keys?.get(item.key) === item) {
      keys.delete(item.key);
      if (keys.size === 0) this.#bySourceKey.delete(item.sourceId);
    }
    if (item.canonicalLink && this.#byLink.get(item.canonicalLink) === item) this.#byLink.delete(item.canonicalLink);
    if (item.fingerprint) {
      const list = this.byFingerprint(item.fingerprint).filter((other) => other !== item);
      if (list.length === 0) this.#byFingerprint.delete(item.fingerprint);
      else this.#byFingerprint.set(item.fingerprint, list.length === 1 ? list[0]! : list);
    }
  }
}
