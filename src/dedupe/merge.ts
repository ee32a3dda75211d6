import type { Item } from '../model.ts';
import { contentHash } from '../normalize/item-hashes.ts';
import { feedHashOf, keepPage } from '../normalize/page-content.ts';

/** Read access to what is stored, as dedupe needs it. */
export interface StoredItems {
  bySourceKey(sourceId: string, key: string): Item | undefined;
  byCanonicalLink(link: string): Item | undefined;
  /** every stored item with this title fingerprint, in no particular order */
  byFingerprint(fingerprint: string): readonly Item[];
  hasId(id: string): boolean;
}

export interface MergeOptions {
  /** items of different sources with the same title fingerprint are one story when published this close */
  titleWindowMs: number;
  /**
   * whether a stored item of the same source with the same canonical link is the same item (default true). Off
   * for sources whose items share links (dedupe key link+date or beyond): there a link tells items apart no more.
   */
  linkIsIdentity?: boolean;
}

/** A store with nothing in it: dedupe against it finds every item new (a new source, or the database asked later). */
export const NOTHING_STORED: StoredItems = { bySourceKey: () => undefined, byCanonicalLink: () => undefined, byFingerprint: () => [], hasId: () => false };

export const DEFAULT_MERGE_OPTIONS: MergeOptions = { titleWindowMs: 48 * 3600 * 1000 };

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
 *
 * The same story from another source (same canonical link, or, for stories syndicated without a shared link,
 * the same title fingerprint within the window) is kept once, as first stored, and lists this source in alsoIn.
 */
export function mergeItems(stored: StoredItems, sourceId: string, incoming: Item[], now: Date, options: MergeOptions = DEFAULT_MERGE_OPTIONS): MergeResult {
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
    const existing = sameKey ?? (sameLink && sameLink.sourceId === sourceId && options.linkIsIdentity !== false ? sameLink : undefined);
    if (existing) {
      const next = updateOf(current(existing), fresh, now);
      if (next) pending.set(next.id, next);
      else result.unchanged++;
      continue;
    }
    const sameStory = (sameLink && sameLink.sourceId !== sourceId ? sameLink : undefined) ?? sameTitle(stored, sourceId, fresh, options.titleWindowMs);
    if (sameStory) {
      const base = current(sameStory);
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

/**
 * The first-stored item of another source with the same title fingerprint, published within the window.
 * Within one source a repeated title is a new story ("Morning briefing"), never a duplicate.
 */
function sameTitle(stored: StoredItems, sourceId: string, fresh: Item, windowMs: number): Item | undefined {
  if (!fresh.fingerprint) return undefined;
  const at = Date.parse(fresh.published);
  let first: Item | undefined;
  for (const item of stored.byFingerprint(fresh.fingerprint)) {
    if (item.sourceId === sourceId || Math.abs(Date.parse(item.published) - at) > windowMs) continue;
    if (!first || item.firstSeen < first.firstSeen) first = item;
  }
  return first;
}

/** A new version of `old` carrying `fresh`'s content, or undefined when nothing a reader sees changed. */
function updateOf(old: Item, fresh: Item, now: Date): Item | undefined {
  // An item first stored without a usable date (or with one too far ahead) keeps its first-seen time for good,
  // even once the source's date becomes readable: it must not jump in the feed or look edited.
  const candidate = old.undated && !fresh.undated ? anchoredAt(fresh, old.published) : fresh;
  // An item whose content is its page's article (fullText) is compared as the feed gave it.
  const storedHash = feedHashOf(old);
  if (storedHash === candidate.hash && old.key === candidate.key) return undefined;
  // A relative date ("2小时前") read again later names another instant for the same story: the first reading stays.
  const anchored = candidate.undated || (old.relativeDate && candidate.relativeDate);
  const published = anchored ? old.published : candidate.published;
  const sourceUpdated = anchored ? undefined : candidate.updated;
  const bumped = sourceUpdated && sourceUpdated > old.updated ? sourceUpdated : now.toISOString();
  const next: Item = {
    ...candidate,
    id: old.id,
    sourceId: old.sourceId,
    firstSeen: old.firstSeen,
    alsoIn: old.alsoIn,
    published,
    updated: bumped < published ? published : bumped,
  };
  if (old.undated && candidate.undated) next.undated = true;
  else delete next.undated;
  if (storedHash === candidate.hash) return keepPage(old, { ...next, updated: old.updated });
  return keepPage(old, next);
}

function anchoredAt(fresh: Item, published: string): Item {
  const item: Item = { ...fresh, published, updated: published, undated: true };
  item.hash = contentHash(item);
  return item;
}

function hashCode(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
