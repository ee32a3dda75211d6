// The one interface both stores answer to: the embedded one (lowdb files under data/, src/store/store.ts through
// embedded-backend.ts) and PostgreSQL (src/store/pg/pg-store.ts). Asynchronous, because a database is; the
// embedded store answers at once. tests/integration/store-contract.test.ts runs the same suite against both.
import type { StoredItems } from '../dedupe/merge.ts';
import type { Item, SourceState } from '../model.ts';
import type { ItemChange, PruneReport } from './store.ts';
import type { RetentionPolicy } from './retention.ts';

export type { ItemChange, PruneReport };

/** One source's changes from one fetch: what dedupe (merge.ts) found new and updated, and the source's new state. */
export interface WriteBatch {
  sourceId: string;
  added: readonly Item[];
  updated: readonly Item[];
  state?: SourceState;
  /** the window within which another source's item with the same title fingerprint is the same story */
  titleWindowMs: number;
  /**
   * the tags an item is shown under with the writer's config (render/feed-specs.ts itemTags): the PostgreSQL store
   * keeps them with the item so that a tag feed is one indexed query; the embedded store sorts its feeds itself
   */
  tags?: (item: Item) => readonly string[];
}

export interface WriteResult {
  /** items stored as new */
  added: Item[];
  /** items replaced */
  updated: Item[];
  /**
   * new items found, at write time, to be another source's story already stored (another instance stored it
   * after this one's dedupe looked): not stored; their source joined that item's alsoIn.
   */
  joined: { sourceItem: Item; storedId: string }[];
}

export interface StoreBackend {
  readonly kind: 'embedded' | 'postgres';
  /** what dedupe needs to know of the stored items to merge these fresh items of a source */
  candidates(sourceId: string, fresh: readonly Item[]): Promise<StoredItems>;
  write(batch: WriteBatch): Promise<WriteResult>;
  prune(policy: RetentionPolicy, now: Date): Promise<PruneReport>;
  item(id: string): Promise<Item | undefined>;
  count(): Promise<number>;
  countsBySource(): Promise<Map<string, number>>;
  sourceState(id: string): Promise<SourceState>;
  setSourceState(state: SourceState): Promise<void>;
  /** a number that grows with every change of the items */
  revision(): Promise<number>;
  /** the changes since `revision`, oldest first, or null when the store cannot tell (read every item again) */
  changesSince(revision: number): Promise<ItemChange[] | null>;
  close(): Promise<void>;
}
