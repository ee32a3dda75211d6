// Which stored items retention drops. Pure: the store applies the result.
import type { Item, RetentionRule } from '../model.ts';
import { runAtOnce, type Steps } from './slices.ts';

export type { RetentionRule };

/** A source's rule, or 'purge' for a source no longer configured whose items go (--purge). */
export type RetentionPolicy = (sourceId: string) => RetentionRule | 'purge';

export interface Pruning {
  drop: Set<Item>;
  byCount: number;
  byAge: number;
  /** sources whose every item was purged */
  purged: string[];
}

const DAY_MS = 24 * 3600 * 1000;

export function isExpired(item: Item, rule: RetentionRule, now: Date): boolean {
  return rule.maxAgeDays !== undefined && Date.parse(item.published) < now.getTime() - rule.maxAgeDays * DAY_MS;
}

/** For items about to be stored: would `policy` drop this one at once? */
export function isExpiredUnder(policy: RetentionPolicy, item: Item, now: Date): boolean {
  const rule = policy(item.sourceId);
  return rule !== 'purge' && isExpired(item, rule, now);
}

/**
 * Of a source's new items, those to store: an item retention would drop at once is refused (its key is then
 * remembered as pruned), unless the source needs it to reach its minimum. Items are of one source.
 */
export function admitNew(added: readonly Item[], policy: RetentionPolicy, stored: { countOf(sourceId: string): number }, now: Date): { stored: Item[]; refused: Item[] } {
  const fresh: Item[] = [];
  const expired: Item[] = [];
  for (const item of added) (isExpiredUnder(policy, item, now) ? expired : fresh).push(item);
  if (expired.length === 0) return { stored: fresh, refused: [] };
  const rule = policy(expired[0]!.sourceId);
  const minItems = rule === 'purge' ? 0 : rule.minItems ?? 0;
  const room = Math.max(0, minItems - stored.countOf(expired[0]!.sourceId) - fresh.length);
  expired.sort(newestFirst);
  return { stored: [...fresh, ...expired.slice(0, room)], refused: expired.slice(room) };
}

export function selectPruning(items: readonly Item[], policy: RetentionPolicy, now: Date): Pruning {
  return runAtOnce(selectPruningSteps(items, policy, now));
}

/**
 * selectPruning() as Steps (store/slices.ts): after every cycle the service looks at every stored item (100k and
 * more: grouping and sorting them held the serving thread 100–200 ms), so it does so between requests.
 */
export function* selectPruningSteps(items: readonly Item[], policy: RetentionPolicy, now: Date): Steps<Pruning> {
  const bySource = new Map<string, Item[]>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const list = bySource.get(item.sourceId);
    if (list) list.push(item);
    else bySource.set(item.sourceId, [item]);
    if (i % 1024 === 1023) yield;
  }
  const result: Pruning = { drop: new Set(), byCount: 0, byAge: 0, purged: [] };
  for (const [sourceId, list] of bySource) {
    const rule = policy(sourceId);
    if (rule === 'purge') {
      for (const item of list) result.drop.add(item);
      result.purged.push(sourceId);
      yield;
      continue;
    }
    // Nothing to drop without an age limit while the source has no more than it may keep: no sort needed.
    if (rule.maxAgeDays === undefined && list.length <= rule.maxItems) continue;
    list.sort(newestFirst);
    list.forEach((item, rank) => {
      if (rank >= rule.maxItems) result.byCount++;
      else if (rank >= (rule.minItems ?? 0) && isExpired(item, rule, now)) result.byAge++;
      else return;
      result.drop.add(item);
    });
    yield;
  }
  return result;
}

/** Newest first by published date, then by id, so equal dates keep a stable order. */
export function newestFirst(a: Pick<Item, 'published' | 'id'>, b: Pick<Item, 'published' | 'id'>): number {
  if (a.published !== b.published) return a.published < b.published ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The policy for a config: a source's own limits, else the global ones. A source no longer configured keeps
 * the global limits, or is purged when `purge` is set.
 */
export function retentionPolicy(
  global: { maxItemsPerSource: number; maxAgeDays?: number; minItemsPerSource?: number },
  sources: { id: string; retention?: { maxItemsPerSource?: number; maxAgeDays?: number; minItemsPerSource?: number } }[],
  purge: boolean,
): RetentionPolicy {
  const byId = new Map(sources.map((s) => [s.id, s]));
  return (sourceId) => {
    const source = byId.get(sourceId);
    if (!source && purge) return 'purge';
    const maxAgeDays = source?.retention?.maxAgeDays ?? global.maxAgeDays;
    const minItems = source?.retention?.minItemsPerSource ?? global.minItemsPerSource;
    return {
      maxItems: source?.retention?.maxItemsPerSource ?? global.maxItemsPerSource,
      ...(maxAgeDays !== undefined ? { maxAgeDays } : {}),
      ...(minItems !== undefined ? { minItems } : {}),
    };
  };
}
