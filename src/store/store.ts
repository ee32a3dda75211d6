import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import type { StoredItems } from '../dedupe/merge.ts';
import type { Item, SourceState } from '../model.ts';
import { DurableJsonFile, StoreCorruptError } from './durable-file.ts';

export const STORE_VERSION = 1;

export interface StoreData {
  version: number;
  items: Item[];
  sources: Record<string, SourceState>;
}

/**
 * Items and source states, in memory with indexes, persisted as one JSON file through lowdb.
 * Changes accumulate in memory and reach the disk on commit(), once per fetch cycle.
 */
export class ItemStore implements StoredItems {
  readonly file: string;
  readonly #db: Low<StoreData>;
  readonly #byId = new Map<string, Item>();
  readonly #bySourceKey = new Map<string, Item>();
  readonly #byLink = new Map<string, Item>();
  readonly #byFingerprint = new Map<string, Item[]>();
  #dirty = false;

  private constructor(db: Low<StoreData>, file: string) {
    this.#db = db;
    this.file = file;
    for (const item of db.data.items) this.#index(item);
  }

  /** Opens (or creates) data/store.json in dir. Throws StoreCorruptError rather than overwrite a bad file. */
  static async open(dir: string): Promise<ItemStore> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'store.json');
    const db = new Low<StoreData>(new DurableJsonFile<StoreData>(file), { version: STORE_VERSION, items: [], sources: {} });
    await db.read();
    const data = db.data as unknown;
    if (!isStoreData(data)) throw new StoreCorruptError(file, 'not a Tributary store');
    if (data.version > STORE_VERSION) {
      throw new StoreCorruptError(file, `schema version ${data.version} is newer than this release understands (${STORE_VERSION})`);
    }
    return new ItemStore(db, file);
  }

  items(): readonly Item[] {
    return this.#db.data.items;
  }

  get size(): number {
    return this.#byId.size;
  }

  bySourceKey(sourceId: string, key: string): Item | undefined {
    return this.#bySourceKey.get(`${sourceId}\u0000${key}`);
  }

  byCanonicalLink(link: string): Item | undefined {
    return this.#byLink.get(link);
  }

  byFingerprint(fingerprint: string): readonly Item[] {
    return this.#byFingerprint.get(fingerprint) ?? [];
  }

  hasId(id: string): boolean {
    return this.#byId.has(id);
  }

  sourceState(id: string): SourceState {
    return this.#db.data.sources[id] ?? { id, consecutiveFailures: 0 };
  }

  sourceStates(): Record<string, SourceState> {
    return this.#db.data.sources;
  }

  setSourceState(state: SourceState): void {
    this.#db.data.sources[state.id] = state;
    this.#dirty = true;
  }

  /** Adds new items and replaces updated ones (matched by id). */
  apply(added: Item[], updated: Item[]): void {
    if (added.length === 0 && updated.length === 0) return;
    const replacements = new Map(updated.map((item) => [item.id, item]));
    const items = this.#db.data.items;
    for (let i = 0; i < items.length; i++) {
      const next = replacements.get(items[i]!.id);
      if (next) {
        this.#unindex(items[i]!);
        items[i] = next;
        this.#index(next);
      }
    }
    for (const item of added) {
      items.push(item);
      this.#index(item);
    }
    this.#dirty = true;
  }

  /** Keeps the newest `max` items of each source; returns how many were dropped. */
  prune(maxItemsPerSource: number): number {
    const bySource = new Map<string, Item[]>();
    for (const item of this.#db.data.items) {
      const list = bySource.get(item.sourceId) ?? [];
      list.push(item);
      bySource.set(item.sourceId, list);
    }
    const drop = new Set<Item>();
    for (const list of bySource.values()) {
      if (list.length <= maxItemsPerSource) continue;
      list.sort(newestFirst);
      for (const item of list.slice(maxItemsPerSource)) drop.add(item);
    }
    if (drop.size === 0) return 0;
    for (const item of drop) this.#unindex(item);
    this.#db.data.items = this.#db.data.items.filter((item) => !drop.has(item));
    this.#dirty = true;
    return drop.size;
  }

  /** Writes the whole store atomically if anything changed since the last commit. */
  async commit(): Promise<boolean> {
    if (!this.#dirty) return false;
    await this.#db.write();
    this.#dirty = false;
    return true;
  }

  #index(item: Item): void {
    this.#byId.set(item.id, item);
    this.#bySourceKey.set(`${item.sourceId}\u0000${item.key}`, item);
    if (item.canonicalLink && !this.#byLink.has(item.canonicalLink)) this.#byLink.set(item.canonicalLink, item);
    if (item.fingerprint) {
      const list = this.#byFingerprint.get(item.fingerprint);
      if (list) list.push(item);
      else this.#byFingerprint.set(item.fingerprint, [item]);
    }
  }

  #unindex(item: Item): void {
    if (this.#byId.get(item.id) === item) this.#byId.delete(item.id);
    const sk = `${item.sourceId}\u0000${item.key}`;
    if (this.#bySourceKey.get(sk) === item) this.#bySourceKey.delete(sk);
    if (item.canonicalLink && this.#byLink.get(item.canonicalLink) === item) this.#byLink.delete(item.canonicalLink);
    if (item.fingerprint) {
      const list = this.#byFingerprint.get(item.fingerprint)?.filter((other) => other !== item) ?? [];
      if (list.length > 0) this.#byFingerprint.set(item.fingerprint, list);
      else this.#byFingerprint.delete(item.fingerprint);
    }
  }
}

/** Newest first by published date, then by id, so equal dates keep a stable order. */
export function newestFirst(a: Item, b: Item): number {
  if (a.published !== b.published) return a.published < b.published ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function isStoreData(data: unknown): data is StoreData {
  const d = data as StoreData;
  return typeof d === 'object' && d !== null && typeof d.version === 'number' && Array.isArray(d.items)
    && typeof d.sources === 'object' && d.sources !== null;
}
