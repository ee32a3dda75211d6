// The embedded store (lowdb files under data/) behind the StoreBackend interface. One process owns the files
// (data/writer.lock), so nothing can store a story between dedupe and write: nothing is ever "joined" here.
import type { Item, SourceState } from '../model.ts';
import type { RetentionPolicy } from './retention.ts';
import type { ItemChange, PruneReport, StoreBackend, WriteBatch, WriteResult } from './store-api.ts';
import { ItemStore, type StoreOptions } from './store.ts';

export class EmbeddedBackend implements StoreBackend {
  readonly kind = 'embedded' as const;
  readonly store: ItemStore;

  constructor(store: ItemStore) {
    this.store = store;
  }

  static async open(dir: string, options: StoreOptions = {}): Promise<EmbeddedBackend> {
    return new EmbeddedBackend(await ItemStore.open(dir, options));
  }

  async candidates(): Promise<ItemStore> {
    return this.store;
  }

  async write(batch: WriteBatch): Promise<WriteResult> {
    this.store.apply([...batch.added], [...batch.updated]);
    if (batch.state) this.store.setSourceState(batch.state);
    await this.store.commit();
    return { added: [...batch.added], updated: [...batch.updated], joined: [] };
  }

  async prune(policy: RetentionPolicy, now: Date): Promise<PruneReport> {
    const report = this.store.prune(policy, now);
    await this.store.commit();
    return report;
  }

  async item(id: string): Promise<Item | undefined> {
    return this.store.items().find((item) => item.id === id);
  }

  async count(): Promise<number> {
    return this.store.size;
  }

  async countsBySource(): Promise<Map<string, number>> {
    return this.store.countsBySource();
  }

  async sourceState(id: string): Promise<SourceState> {
    return this.store.sourceState(id);
  }

  async setSourceState(state: SourceState): Promise<void> {
    this.store.setSourceState(state);
    await this.store.commit();
  }

  async revision(): Promise<number> {
    return this.store.revision;
  }

  async changesSince(revision: number): Promise<ItemChange[] | null> {
    return this.store.changesSince(revision);
  }

  async close(): Promise<void> {}
}
