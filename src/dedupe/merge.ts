import type { Item } from '../model.ts';

/** Read access to what is stored, as dedupe needs it. */
export interface StoredItems {
  bySourceKey(sourceId: string, key: string): Item | undefined;
  byCanonicalLink(link: string): Item | undefined;
  hasId(id: string): boolean;
}

export interface MergeResult {
  /** items to store for the first time */
  added: Item[];
  /** new versions of stored items (same id) */
  updated: Item[];
  /** items already stored, unchanged */
  unchanged: number;
  /** stories already stored from another source, now also listed under this one */
  crossSource: number;
}

/**
 * Decides, for one source's freshly normalized items, what is new, what is an update of a stored item and
 * what is a duplicate. Pure: reads `stored`, returns the changes; the store applies them.
 */
export function mergeItems(stored: StoredItems, sourceId: string, incoming: Item[], now: Date): MergeResult {
  const result: MergeResult = { added: [], updated: [], unchanged: 0, crossSource: 0 };
  const seenKeys = new Set<string>();
  const pending = new Map<string, Item>(); // id -> new version decided in this merge
  const addedByLink = new Map<string, Item>();
  const usedIds = new Set<string>();
  const current = (item: Item) => pending.get(item.id) ?? item;

  for (const fresh of incoming) {
    if (seenKeys.has(fresh.key)) continue; // the same entry twice in one document
    seenKeys.add(fresh.key);
    const sameKey = stored.bySourceKey(sourceId, fresh.key);
    const sameLink = fresh.canonicalLink
      ? (addedByLink.get(fresh.canonicalLink) ?? stored.byCanonicalLink(fresh.canonicalLink))
      : undefined;
    const existing = sameKey ?? (sameLink && sameLink.sourceId === sourceId ? sameLink : undefined);
    if (existing) {
      const next = updateOf(current(existing), fresh, now);
      if (next) pending.set(next.id, next);
      else result.unchanged++;
      continue;
    }
    if (sameLink) {
      // The same story from another source: kept once, under the source that carried it first.
      const base = current(sameLink);
      if (!base.alsoIn.includes(sourceId) && base.sourceId !== sourceId) {
        pending.set(base.id, { ...base, alsoIn: [...base.alsoIn, sourceId].sort() });
        result.crossSource++;
      } else result.unchanged++;
      continue;
    }
    let item = fresh;
    if (stored.hasId(item.id) || usedIds.has(item.id)) item = { ...item, id: `${item.id}#${item.key.length}-${hashCode(item.key)}` };
    usedIds.add(item.id);
    result.added.push(item);
    if (item.canonicalLink) addedByLink.set(item.canonicalLink, item);
  }
  const addedIds = new Set(result.added.map((i) => i.id));
  for (const item of pending.values()) if (!addedIds.has(item.id)) result.updated.push(item);
  return result;
}

/** A new version of `old` carrying `fresh`'s content, or undefined when nothing a reader sees changed. */
function updateOf(old: Item, fresh: Item, now: Date): Item | undefined {
  if (old.hash === fresh.hash && old.key === fresh.key) return undefined;
  const published = fresh.undated ? old.published : fresh.published;
  const sourceUpdated = fresh.undated ? undefined : fresh.updated;
  const bumped = sourceUpdated && sourceUpdated > old.updated ? sourceUpdated : now.toISOString();
  const next: Item = {
    ...fresh,
    id: old.id,
    sourceId: old.sourceId,
    firstSeen: old.firstSeen,
    alsoIn: old.alsoIn,
    published,
    updated: bumped < published ? published : bumped,
  };
  if (old.undated && fresh.undated) next.undated = true;
  else delete next.undated;
  if (old.hash === fresh.hash) return { ...next, updated: old.updated };
  return next;
}

function hashCode(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
