import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Low } from 'lowdb';
import type { StoredItems } from '../dedupe/merge.ts';
import type { Item, SourceState } from '../model.ts';
import { BackupSet, recoverStore, type Recovery } from './backups.ts';
import { DurableJsonFile, removeStaleTemps } from './durable-file.ts';
import { StoreCorruptError, StoreWriteError } from './errors.ts';
import { SharedValues, shareWithin } from './shared-values.ts';
import { eachInSlices, runAtOnce, runInSlices, type Steps } from './slices.ts';
import { withoutDuplicates } from './stored-items.ts';
import { STORE_VERSION, migrateStore, readSourceStates, type MigratedStore, type SourceStateData, type StoreData } from './migrate.ts';
import { rememberPruned } from './pruned-keys.ts';
import { ChangeJournal, type ItemChange } from './change-journal.ts';
import { ItemIndex } from './item-index.ts';
import { selectPruningSteps, type RetentionPolicy } from './retention.ts';

export { STORE_VERSION, type ItemChange, type SourceStateData, type StoreData };
export { newestFirst } from './retention.ts';

export interface StoreOptions {
  /** previous store files kept in backups/ (config store.backups); default 3 */
  backups?: number;
  /** move an unreadable store file aside and continue from the newest readable backup */
  recover?: boolean;
  /** problems that do not stop the store, such as a backup that could not be made */
  warn?: (message: string, err: unknown) => void;
  now?: () => Date;
  /**
   * read what is stored and write nothing (`inspect --source`, which may run beside the service that owns the
   * files): no directory made, no leftover removed, no pre-migration copy; commit() refuses
   */
  readOnly?: boolean;
  /** called every CHECKPOINT_EVERY items while the file is read and indexed, e.g. to stop a load the heap cannot hold */
  loadCheckpoint?: () => void;
}

/** Items read or indexed between two calls of StoreOptions.loadCheckpoint. */
const CHECKPOINT_EVERY = 256;

/** What open() found and did, for the log. */
export interface OpenReport {
  /** temp files of killed writers, deleted */
  staleTemps: string[];
  /** the schema version the file had, when it was older than STORE_VERSION */
  migratedFrom?: number;
  /** copy of the file as it was before migration */
  preMigrationCopy?: string;
  recovery?: Recovery;
  /** items found twice in the file (same id, or same source and key): kept once, rewritten at the next commit */
  duplicatesDropped?: number;
}

export interface PruneReport {
  byCount: number;
  byAge: number;
  purged: string[];
}

interface Snapshot {
  items: Item[];
  sources: Record<string, SourceState>;
}

/**
 * Items (data/store.json) and source states (data/sources.json), in memory with indexes, persisted through
 * lowdb. Changes accumulate in memory and reach the disk on commit(), once per fetch cycle, each file only
 * when it changed: the item file is the big one, and a cycle where every source answers 304 leaves it alone.
 * A failed commit rolls memory back to what the disk holds, so what is served never differs from what a
 * restart would load.
 */
export class ItemStore implements StoredItems {
  readonly file: string;
  readonly stateFile: string;
  readonly #states: Low<SourceStateData>;
  readonly backups: BackupSet;
  readonly opened: OpenReport;
  readonly #db: Low<StoreData>;
  readonly #now: () => Date;
  readonly #warn: (message: string, err: unknown) => void;
  readonly #readOnly: boolean;
  readonly #index = new ItemIndex();
  #committed: Snapshot;
  /** savedAt of the file on disk, which names its backup when it is replaced */
  #savedAtOnDisk: string | undefined;
  #dirty = false;
  #statesDirty = false;
  #revision = 0;
  /** item changes with the revision they made: what changesSince() answers from */
  readonly #journal = new ChangeJournal();

  private constructor(db: Low<StoreData>, states: Low<SourceStateData>, file: string, backups: BackupSet, opened: OpenReport, options: StoreOptions) {
    this.#db = db;
    this.#states = states;
    this.file = file;
    this.stateFile = (states.adapter as DurableJsonFile<SourceStateData>).file;
    this.backups = backups;
    this.opened = opened;
    this.#now = options.now ?? (() => new Date());
    this.#warn = options.warn ?? (() => {});
    this.#readOnly = options.readOnly ?? false;
    this.#committed = this.#snapshot();
  }

  /**
   * Opens (or creates) store.json in dir. Throws StoreCorruptError rather than overwrite a file it cannot
   * read, unless options.recover is set.
   */
  static async open(dir: string, options: StoreOptions = {}): Promise<ItemStore> {
    if (!options.readOnly) await mkdir(dir, { recursive: true });
    const file = join(dir, 'store.json');
    const now = options.now ?? (() => new Date());
    const backups = new BackupSet(join(dir, 'backups'), options.backups ?? 3);
    let store: ItemStore | undefined;
    const shared = new SharedValues();
    let read = 0;
    const adapter = new DurableJsonFile<StoreData>(file, {
      beforeReplace: (current) => store!.#preserve(current),
      itemLines: true,
      eachItem: (item) => {
        shared.shareStrings(item);
        if (++read % CHECKPOINT_EVERY === 0) options.loadCheckpoint?.();
      },
    });
    const db = new Low<StoreData>(adapter, emptyStore());
    const stateFile = join(dir, 'sources.json');
    // A kill can land while either file is being written (sources.json just after store.json's rename).
    const opened: OpenReport = { staleTemps: options.readOnly ? [] : [...await removeStaleTemps(file), ...await removeStaleTemps(stateFile)] };
    let loaded: MigratedStore | undefined;
    try {
      // Not db.read(): it treats every falsy content as "no file" and would let the default overwrite it.
      const raw = await adapter.read();
      loaded = raw === null ? undefined : await migrateStore(raw, file);
    } catch (err) {
      if (!options.recover || !(err instanceof StoreCorruptError)) throw err;
      opened.recovery = await recoverStore(file, backups, now());
      loaded = opened.recovery.loaded;
    }
    db.data = loaded?.data ?? emptyStore();
    const unique = await withoutDuplicates(db.data.items);
    if (unique.dropped > 0) {
      db.data.items = unique.items;
      opened.duplicatesDropped = unique.dropped;
    }
    const from = loaded?.from;
    if (from !== undefined && from < STORE_VERSION) {
      opened.migratedFrom = from;
      if (!options.readOnly) opened.preMigrationCopy = await backups.keepCopy(file, `store.v${from}-${stamp(now())}.json`);
    }
    const states = new Low<SourceStateData>(new DurableJsonFile<SourceStateData>(stateFile), { version: STORE_VERSION, sources: {} });
    const rawStates = await (states.adapter as DurableJsonFile<SourceStateData>).read().catch((err: unknown) => {
      // Source states are only validators and counters: with --recover, a bad file is replaced by a fresh one.
      if (options.recover && err instanceof StoreCorruptError) return null;
      throw err;
    });
    states.data = rawStates === null ? { version: STORE_VERSION, sources: loaded?.legacySources ?? {} } : readSourceStates(rawStates, stateFile);
    store = new ItemStore(db, states, file, backups, opened, options);
    await eachInSlices(db.data.items, (item, index) => {
      shared.share(item);
      store!.#index.add(item);
      if (index % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1) options.loadCheckpoint?.();
    });
    if (from !== undefined && from < STORE_VERSION) {
      store.#dirty = true;
      store.#statesDirty = true;
    }
    if (unique.dropped > 0) store.#dirty = true;
    return store;
  }

  items(): readonly Item[] {
    return this.#db.data.items;
  }

  get size(): number {
    return this.#index.size;
  }

  /** when the file on disk was written, and how many writes it has seen */
  get savedAt(): string | undefined {
    return this.#db.data.savedAt;
  }

  get generation(): number {
    return this.#db.data.generation;
  }

  /** Changes whenever the items in memory change (not only on writes), so callers can skip a re-render. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * The changes of the items since `revision` (a value of `revision` read earlier), in the order they were made,
   * or null when the store cannot tell: the items were rolled back or reread since, or too much changed. Changes
   * up to `revision` are forgotten: the store has one reader that follows it (the render).
   */
  changesSince(revision: number): ItemChange[] | null {
    return this.#journal.since(revision, this.#revision);
  }

  /** for /status */
  status(): { file: string; savedAt: string | null; generation: number; backups: number } {
    return { file: this.file, savedAt: this.savedAt ?? null, generation: this.generation, backups: this.backups.keep };
  }

  bySourceKey(sourceId: string, key: string): Item | undefined {
    return this.#index.bySourceKey(sourceId, key);
  }

  byCanonicalLink(link: string): Item | undefined {
    return this.#index.byCanonicalLink(link);
  }

  byFingerprint(fingerprint: string): readonly Item[] {
    return this.#index.byFingerprint(fingerprint);
  }

  /** the items stored under this source, in no particular order (from the index: no walk over every item) */
  itemsOf(sourceId: string): Iterable<Item> {
    return this.#index.itemsOf(sourceId);
  }

  /** items stored under this source */
  countOf(sourceId: string): number {
    return this.#index.countOf(sourceId);
  }

  /** items stored per source, for /metrics: kept up to date with every change, so a scrape walks no items */
  countsBySource(): Map<string, number> {
    return this.#index.counts();
  }

  byId(id: string): Item | undefined {
    return this.#index.byId(id);
  }

  hasId(id: string): boolean {
    return this.#index.hasId(id);
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

  /** Adds new items and replaces updated ones (matched by id). Items are replaced, never mutated. */
  apply(added: Item[], updated: Item[]): void {
    if (added.length === 0 && updated.length === 0) return;
    const replacements = new Map(updated.map((item) => [item.id, item]));
    const items = this.#db.data.items;
    // Most fetches only add: the walk over the stored items stops as soon as every update found its place.
    for (let i = 0; replacements.size > 0 && i < items.length; i++) {
      const next = replacements.get(items[i]!.id);
      if (next) {
        replacements.delete(next.id);
        this.#index.remove(items[i]!);
        this.#record({ before: items[i]!, after: next });
        items[i] = next;
        this.#index.add(next);
      }
    }
    for (const item of added) {
      shareWithin(item);
      items.push(item);
      this.#index.add(item);
      this.#record({ after: item });
    }
    this.#changed();
  }

  /** Drops what retention says to drop: beyond a source's count, past its age, or of a purged source. */
  prune(policy: RetentionPolicy, now: Date): PruneReport {
    return runAtOnce(this.#pruneSteps(policy, now));
  }

  /** prune() in slices between requests, as the service prunes after each cycle (it looks at every stored item). */
  pruneInSlices(policy: RetentionPolicy, now: Date): Promise<PruneReport> {
    return runInSlices(this.#pruneSteps(policy, now));
  }

  *#pruneSteps(policy: RetentionPolicy, now: Date): Steps<PruneReport> {
    const { drop, byCount, byAge, purged } = yield* selectPruningSteps(this.#db.data.items, policy, now);
    for (const id of purged) delete this.#states.data.sources[id];
    if (purged.length > 0) this.#statesDirty = true;
    if (drop.size === 0) return { byCount, byAge, purged };
    const bySource = new Map<string, Item[]>();
    let n = 0;
    for (const item of drop) {
      this.#index.remove(item);
      this.#record({ before: item });
      if (!purged.includes(item.sourceId)) {
        const list = bySource.get(item.sourceId);
        if (list) list.push(item);
        else bySource.set(item.sourceId, [item]);
      }
      if (++n % 256 === 0) yield;
    }
    // Remembered so that the source, still listing them, does not bring them back as new.
    for (const [sourceId, items] of bySource) {
      const state = this.sourceState(sourceId);
      const prunedKeys = rememberPruned(state.prunedKeys, items, now);
      if (prunedKeys) this.setSourceState({ ...state, prunedKeys });
      // a hash per key: 20k dropped items took ~40 ms
      yield;
    }
    this.#db.data.items = this.#db.data.items.filter((item) => !drop.has(item));
    this.#changed();
    return { byCount, byAge, purged };
  }

  /**
   * Writes each file atomically if it changed since the last commit; returns whether the item file was
   * written. Items go first: a crash between the two writes then leaves old validators beside new items (the
   * next fetch is a full one, whose items dedupe as unchanged), never new validators beside old items (the
   * source would answer 304 and its new items would never be stored). On failure, memory is rolled back to
   * the last good write and StoreWriteError is thrown; the files on disk are untouched.
   */
  async commit(): Promise<boolean> {
    if (this.#readOnly) throw new Error(`the store in ${dirname(this.file)} was opened read-only`);
    const wrote = this.#dirty ? await this.#commitItems() : false;
    if (this.#statesDirty) {
      try {
        await this.#states.write();
      } catch (err) {
        this.rollback();
        throw new StoreWriteError(this.stateFile, err);
      }
      this.#committed = { ...this.#committed, sources: { ...this.#states.data.sources } };
      this.#statesDirty = false;
    }
    return wrote;
  }

  async #commitItems(): Promise<boolean> {
    const data = this.#db.data;
    const before = { generation: data.generation, savedAt: data.savedAt };
    data.generation = before.generation + 1;
    data.savedAt = this.#now().toISOString();
    try {
      await this.#db.write();
    } catch (err) {
      data.generation = before.generation;
      if (before.savedAt === undefined) delete data.savedAt;
      else data.savedAt = before.savedAt;
      this.rollback();
      throw new StoreWriteError(this.file, err);
    }
    // The states on disk are still the old ones until their own write succeeds.
    this.#committed = { ...this.#snapshot(), sources: this.#committed.sources };
    this.#dirty = false;
    await this.backups.prune().catch((err) => this.#warn(`could not prune old backups in ${this.backups.dir}`, err));
    return true;
  }

  /** Forgets every change since the last commit (or open). */
  rollback(): void {
    this.#db.data.items = this.#committed.items.slice();
    this.#states.data.sources = { ...this.#committed.sources };
    this.#index.rebuild(this.#db.data.items);
    this.#dirty = false;
    this.#statesDirty = false;
    this.#revision++;
    this.#journal.forget(this.#revision);
  }

  #changed(): void {
    this.#dirty = true;
    this.#revision++;
  }

  /** Journals a change of the revision about to be made (#changed() follows it). */
  #record(change: ItemChange): void {
    this.#journal.record(this.#revision + 1, change);
  }

  /** Before a new file replaces the current one, the current one becomes a backup. */
  async #preserve(current: string): Promise<void> {
    try {
      await this.backups.preserve(current, this.#savedAtOnDisk ?? this.#now().toISOString());
    } catch (err) {
      // A store that cannot keep a backup still saves the items; the operator hears about it.
      this.#warn(`could not keep a backup of ${current} in ${this.backups.dir}`, err);
    }
  }

  #snapshot(): Snapshot {
    this.#savedAtOnDisk = this.#db.data.savedAt;
    return { items: this.#db.data.items.slice(), sources: { ...this.#states?.data.sources } };
  }
}

function emptyStore(): StoreData {
  return { version: STORE_VERSION, generation: 0, items: [] };
}

function stamp(date: Date): string {
  return date.toISOString().replace(/:/g, '-');
}
