// Keys of items retention dropped, remembered per source so that a source still listing them cannot bring
// them back as new (the resurrection every aggregator's users complain about). Compact: a short hash of the
// dedupe key and the day it was last listed. Bounded: a key is forgotten PRUNED_KEY_DAYS after the source last
// listed it, and a source keeps at most MAX_PRUNED_KEYS (those listed longest ago go first).
import { createHash } from 'node:crypto';
import type { Item } from '../model.ts';

/** short hash of an item key -> when the source last listed it (ISO 8601) */
export type PrunedKeys = Record<string, string>;

export const PRUNED_KEY_DAYS = 30;
export const MAX_PRUNED_KEYS = 10_000;
const DAY_MS = 24 * 3600 * 1000;

function hashOf(key: string): string {
  return createHash('sha1').update(key).digest('base64url').slice(0, 16);
}

/** Adds the keys of dropped items, last seen now. */
export function rememberPruned(keys: PrunedKeys | undefined, items: readonly Item[], now: Date): PrunedKeys | undefined {
  if (items.length === 0) return keys;
  const next: PrunedKeys = { ...keys };
  const at = now.toISOString();
  for (const item of items) {
    next[hashOf(item.key)] = at;
    // Also under its link key: a source whose guids go bad moves to link keys (dedupe/source-key.ts), and the
    // items it pruned must stay pruned then. Never matched while the source keys by guid or link+date.
    if (item.canonicalLink) next[hashOf(`l:${item.canonicalLink}`)] = at;
  }
  return bounded(next);
}

export interface PrunedFilter {
  /** the items not pruned before */
  kept: Item[];
  /** items left out because retention dropped them earlier */
  skipped: number;
  keys: PrunedKeys | undefined;
}

/**
 * Leaves out the fetched items retention dropped earlier, refreshing their last-seen time (a key is kept as long
 * as the source lists it), and forgets keys the source stopped listing more than PRUNED_KEY_DAYS ago.
 */
export function withoutPruned(keys: PrunedKeys | undefined, items: readonly Item[], now: Date, formerKeys?: readonly string[]): PrunedFilter {
  if (!keys) return { kept: [...items], skipped: 0, keys };
  const next: PrunedKeys = { ...keys };
  const at = now.toISOString();
  const kept: Item[] = [];
  items.forEach((item, i) => {
    const hash = hashOf(item.key);
    // formerKeys: each item's key before the source's dedupe key changed in this fetch; a key pruned under the old
    // mode is carried over to the new one.
    const former = formerKeys?.[i] !== undefined ? hashOf(formerKeys[i]!) : undefined;
    if (next[hash] === undefined && (former === undefined || next[former] === undefined)) {
      kept.push(item);
      return;
    }
    next[hash] = at;
    if (former !== undefined && next[former] !== undefined) next[former] = at;
  });
  const oldest = new Date(now.getTime() - PRUNED_KEY_DAYS * DAY_MS).toISOString();
  for (const [hash, seen] of Object.entries(next)) if (seen < oldest) delete next[hash];
  return { kept, skipped: items.length - kept.length, keys: Object.keys(next).length > 0 ? bounded(next) : undefined };
}

function bounded(keys: PrunedKeys): PrunedKeys {
  const entries = Object.entries(keys);
  if (entries.length <= MAX_PRUNED_KEYS) return keys;
  entries.sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0));
  return Object.fromEntries(entries.slice(0, MAX_PRUNED_KEYS));
}
