// The part of one source's ingest after its document is read: its items keyed under the source's dedupe key, the
// keys retention pruned earlier left out, the source's filter applied, and the rest merged with what is stored.
// The service (ingest.ts) and `tributary inspect --source` (cli/inspect-source.ts) both go through here, so that
// inspect prints what the service would store from the same document at that moment.
import type { SourceConfig } from './config/types.ts';
import { mergeItems, type MergeOptions, type MergeResult, type StoredItems } from './dedupe/merge.ts';
import { keyForSource, keyUnder, type KeyChoice } from './dedupe/source-key.ts';
import type { Item, SourceState } from './model.ts';
import { applySourceFilter } from './rules/source-filter.ts';
import { withoutPruned, type PrunedFilter } from './store/pruned-keys.ts';

export interface SourceMergeContext {
  idAuthority: string;
  merge: MergeOptions;
  /** what dedupe compares the source's candidates with (the PostgreSQL store reads only what they could match) */
  storeFor: (sourceId: string, candidates: readonly Item[]) => Promise<StoredItems>;
}

export interface SourceMerge {
  keyChoice: KeyChoice;
  /** the keyed items without those retention pruned earlier; `keys` is the source's pruned-key memory to keep */
  fresh: PrunedFilter;
  /** items the source's filter dropped (never stored) */
  filteredOut: number;
  changes: MergeResult;
}

/** Keys, filters and merges one fetch's items of a source whose state before this fetch is `previous`. */
export async function mergeSourceItems(items: readonly Item[], source: SourceConfig, previous: SourceState, started: Date, ctx: SourceMergeContext): Promise<SourceMerge> {
  const { choice: keyChoice, keyed, linkIsIdentity } = keyForSource(items, previous.dedupeKey ?? 'guid',
    { idAuthority: ctx.idAuthority, sourceId: source.id, now: started, isPage: source.type === 'html' });
  // Items retention dropped earlier are not new again while the source keeps listing them.
  const former = keyChoice.switchedFrom ? items.map((item) => keyUnder(item, keyChoice.switchedFrom!.mode)) : undefined;
  const fresh = withoutPruned(previous.prunedKeys, keyed, started, former);
  // The source's filter drops items before dedupe, so they are never stored.
  const candidates = applySourceFilter(fresh.kept, source.filter);
  const stored = await ctx.storeFor(source.id, candidates);
  const changes = mergeItems(stored, source.id, candidates, started, { ...ctx.merge, linkIsIdentity });
  return { keyChoice, fresh, filteredOut: fresh.kept.length - candidates.length, changes };
}
