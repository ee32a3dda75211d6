import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Low } from 'lowdb';
import type { StoredItems } from '../dedupe/merge.ts';
import type { Item, SourceState } from '../model.ts';
import { DurableJsonFile, StoreCorruptError } from './durable-file.ts';

/** 2: source states moved from store.json to sources.json, so a cycle of 304s rewrites no items. */
export const STORE_VERSION = 2;

export interface StoreData {
  version: number;
  items: Item[];
  /** version 1 kept the source states here; read once to migrate them to sources.json */
  sources?: Record<string, SourceState>;
}

export interface SourceStateData {
  version: number;
  sources: Record<string, SourceState>;
}

/**
 * Items (data/store.json) and source states (data/sources.json), in memory with indexes, persisted through
 * lowdb. Changes accumulate in memory and reach the disk on commit(), once per fetch cycle, each file only
 * when it changed: the item file is the big one, and a cycle where every source answers 304 leaves it alone.
 */
export class ItemStore implements StoredItems {
  readonly file: string;
  readonly stateFile: string;
  readonly #db: Low<StoreData>;
  readonly #states: Low<SourceStateData>;
  readonly #byId = new Map<string, Item>();
  readonly #bySourceKey = new Map<string, Item>();
  readonly #byLink = new Map<string, Item>();
  #dirty = false;
  #statesDirty = false;
  #generation = 0;
  #pruned: { generation: number; max: number } | undefined;

  private constructor(db: Low<StoreData>, states: Low<SourceStateData>) {
    this.#db = db;
    this.#states = states;
    this.file = (db.adapter as DurableJsonFile<StoreData>).file;
    this.stateFile = (states.adapter as DurableJsonFile<SourceStateData>).file;
    for (const item of db.data.items) this.#index(item);
  }

  /** Opens (or creates) data/store.json and data/sources.json in dir. Throws StoreCorruptError rather than overwrite a bad file. */
  static async open(dir: string): Promise<ItemStore> {
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'store.json');
    const db = new Low<StoreData>(new DurableJsonFile<StoreData>(file), { version: STORE_VERSION, items: [] });
    await db.read();
    const data = db.data as unknown;
    if (!isStoreData(data)) throw new StoreCorruptError(file, 'not a Tributary store');
    if (data.version > STORE_VERSION) {
      throw new StoreCorruptError(file, `schema version ${data.version} is newer than this release understands (${STORE_VERSION})`);
    }
    const stateFile = join(dir, 'sources.json');
    const states = new Low<SourceStateData>(new DurableJsonFile<SourceStateData>(stateFile), { version: STORE_VERSION, sources: {} });
    await states.read();
    if (!isStateData(states.data)) throw new StoreCorruptError(stateFile, 'not a Tributary source state file');
    const store = new ItemStore(db, states);
    if (data.version < STORE_VERSION) store.#migrate();
    return store;
  }

  /** Version 1 to 2: the source states move out of store.json. Written on the next commit. */
  #migrate(): void {
    const legacy = this.#db.data.sources;
    if (legacy && Object.keys(this.#states.data.sources).length === 0) this.#states.data.sources = legacy;
    delete this.#db.data.sources;
    this.#db.data.version = STORE_VERSION;
    this.#dirty = true;
    this.#statesDirty = true;
  }

  /** Changes whenever the items change, so readers can tell that nothing needs re-rendering. */
  get generation(): number {
    return this.#generation;
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

  hasId(id: string): boolean {
    return this.#byId.has(id);
  }

  sourceState(id: string): SourceState {
    return this.#states.data.sources[id] ?? { id, consecutiveFailures: 0 };
  }

  sourceStates(): Record<string, SourceState> {
    return this.#states.data.sources;
  }

  setSourceState(state: SourceState): void {
    this.#states.data.sources[state.id] = state;
    this.#statesDirty = true;
  }

  /** Adds new items and replaces updated ones (matched by id). */
  apply(added: Item[], updated: Item[]): void {
    if (added.length === 0 && updated.length === 0) return;
    const replacements = new Map(updated.map((item) => [item.id, item]));
    const items = this.#db.data.items;
    // Most fetches only add: the walk over the stored items stops as soon as every update found its place.
    for (let i = 0; replacements.size > 0 && i < items.length; i++) {
      const next = replacements.get(items[i]!.id);
      if (next) {
        replacements.delete(next.id);
        this.#unindex(items[i]!);
        items[i] = next;
        this.#index(next);
      }
    }
    for (const item of added) {
      items.push(item);
      this.#index(item);
    }
    this.#changed();
  }

  /** Keeps the newest `max` items of each source; returns how many were dropped. */
  prune(maxItemsPerSource: number): number {
    // Nothing was added since the last prune to the same limit: nothing can be over it.
    if (this.#pruned?.generation === this.#generation && this.#pruned.max === maxItemsPerSource) return 0;
    const dropped = this.#prune(maxItemsPerSource);
    this.#pruned = { generation: this.#generation, max: maxItemsPerSource };
    return dropped;
  }

  #prune(maxItemsPerSource: number): number {
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
    this.#changed();
    return drop.size;
  }

  /**
   * Writes each file atomically if it changed since the last commit; returns whether the item file was
   * written. Items go first: a crash between the two writes then leaves old validators beside new items (the
   * next fetch is a full one, whose items dedupe as unchanged), never new validators beside old items (the
   * source would answer 304 and its new items would never be stored).
   */
  async commit(): Promise<boolean> {
    let wrote = false;
    if (this.#dirty) {
      await this.#db.write();
      this.#dirty = false;
      wrote = true;
    }
    if (this.#statesDirty) {
      await this.#states.write();
      this.#statesDirty = false;
    }
    return wrote;
  }

  #changed(): void {
    this.#dirty = true;
    this.#generation++;
  }

  #index(item: Item): void {
    this.#byId.set(item.id, item);
    this.#bySourceKey.set(`${item.sourceId}\u0000${item.key}`, item);
    if (item.canonicalLink && !this.#byLink.has(item.canonicalLink)) this.#byLink.set(item.canonicalLink, item);
  }

  #unindex(item: Item): void {
    if (this.#byId.get(item.id) === item) this.#byId.delete(item.id);
    const sk = `${item.sourceId}\u0000${item.key}`;
    if (this.#bySourceKey.get(sk) === item) this.#bySourceKey.delete(sk);
    if (item.canonicalLink && this.#byLink.get(item.canonicalLink) === item) this.#byLink.delete(item.canonicalLink);
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
    && (d.version >= 2 || (typeof d.sources === 'object' && d.sources !== null));
}

function isStateData(data: unknown): data is SourceStateData {
  const d = data as SourceStateData;
  return typeof d === 'object' && d !== null && typeof d.version === 'number' && typeof d.sources === 'object' && d.sources !== null;
}
