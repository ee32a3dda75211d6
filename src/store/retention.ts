// Which stored items retention drops. Pure: the store applies the result.
import type { Item } from '../model.ts';

export interface RetentionRule {
  /** newest items kept per source */
  maxItems: number;
  /** items published longer ago are dropped; no age limit when absent */
  maxAgeDays?: number;
}

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

export function selectPruning(items: readonly Item[], policy: RetentionPolicy, now: Date): Pruning {
  const bySource = new Map<string, Item[]>();
  for (const item of items) {
    const list = bySource.get(item.sourceId) ?? [];
    list.push(item);
    bySource.set(item.sourceId, list);
  }
  const result: Pruning = { drop: new Set(), byCount: 0, byAge: 0, purged: [] };
  for (const [sourceId, list] of bySource) {
    const rule = policy(sourceId);
    if (rule === 'purge') {
      for (const item of list) result.drop.add(item);
      result.purged.push(sourceId);
      continue;
    }
    list.sort(newestFirst);
    list.forEach((item, rank) => {
      if (rank >= rule.maxItems) result.byCount++;
      else if (isExpired(item, rule, now)) result.byAge++;
      else return;
      result.drop.add(item);
    });
  }
  return result;
}

/** Newest first by published date, then by id, so equal dates keep a stable order. */
export function newestFirst(a: Item, b: Item): number {
  if (a.published !== b.published) return a.published < b.published ? 1 : -1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The policy for a config: a source's own limits, else the global ones. A source no longer configured keeps
 * the global limits, or is purged when `purge` is set.
 */
export function retentionPolicy(
  global: { maxItemsPerSource: number; maxAgeDays?: number },
  sources: { id: string; retention?: { maxItemsPerSource?: number; maxAgeDays?: number } }[],
  purge: boolean,
): RetentionPolicy {
  const byId = new Map(sources.map((s) => [s.id, s]));
  return (sourceId) => {
    const source = byId.get(sourceId);
    if (!source && purge) return 'purge';
    const maxAgeDays = source?.retention?.maxAgeDays ?? global.maxAgeDays;
    return { maxItems: source?.retention?.maxItemsPerSource ?? global.maxItemsPerSource, ...(maxAgeDays !== undefined ? { maxAgeDays } : {}) };
  };
}
