// Which of a source's stored items need their page read this cycle, and how far the source is. Pure: the items,
// the settings and the clock are passed in.
import type { FullTextSettings } from '../config/types.ts';
import type { FullTextRecord, FullTextStatus, Item } from '../model.ts';

/** A failed page is tried this many times in all, then left until its link changes (or refresh, a new setting). */
export const MAX_PAGE_ATTEMPTS = 4;
/** The wait after the first failure, doubled after each further one: 30 min, 1 h, 2 h. */
export const PAGE_RETRY_BASE_MS = 30 * 60_000;

/** What of the settings changes an extraction: a record read under another key is stale for fullText.refresh. */
export function settingsKey(settings: FullTextSettings): string {
  return JSON.stringify([settings.select ?? null, settings.remove]);
}

/** Why an item's page is to be read now; undefined when it is not. */
export function pageDue(item: Item, settings: FullTextSettings, now: Date): 'new' | 'retry' | 'refresh' | undefined {
  const record = item.fullText;
  if (!record || record.link !== item.link) return 'new';
  if (settings.refresh && (record.settings !== settingsKey(settings) || (record.status === 'ok' && record.readFor !== record.feedHash))) return 'refresh';
  if (record.status === 'failed' && record.retryAt !== undefined && Date.parse(record.retryAt) <= now.getTime()) return 'retry';
  return undefined;
}

/** The items whose page this cycle reads, newest first, at most maxPerCycle. */
export function pagesToRead(items: Iterable<Item>, settings: FullTextSettings, now: Date): Item[] {
  const due: Item[] = [];
  for (const item of items) if (pageDue(item, settings, now)) due.push(item);
  return due.sort(newestFirst).slice(0, settings.maxPerCycle);
}

/** Counts of a source's items by where their page stands. */
export function fullTextCounts(items: Iterable<Item>, settings: FullTextSettings, now: Date): Omit<FullTextStatus, 'lastError'> {
  const counts = { ok: 0, failed: 0, pending: 0 };
  for (const item of items) {
    const due = pageDue(item, settings, now);
    if (due === 'new' || due === 'refresh') counts.pending++;
    else if (item.fullText?.status === 'failed') counts.failed++;
    else counts.ok++;
  }
  return counts;
}

/** The record of a failed attempt: backoff until the next one, none after MAX_PAGE_ATTEMPTS. */
export function failedRecord(item: Item, settings: FullTextSettings, reason: string, now: Date): FullTextRecord {
  const previous = item.fullText;
  const sameLink = previous?.link === item.link;
  const failures = (sameLink && previous?.status === 'failed' ? previous.failures ?? 0 : 0) + 1;
  const feedHash = sameLink && previous ? previous.feedHash : item.hash;
  const record: FullTextRecord = {
    status: 'failed', link: item.link, at: now.toISOString(), settings: settingsKey(settings), feedHash, readFor: feedHash,
    error: reason, failures,
  };
  if (failures < MAX_PAGE_ATTEMPTS) record.retryAt = new Date(now.getTime() + PAGE_RETRY_BASE_MS * 2 ** (failures - 1)).toISOString();
  return record;
}

function newestFirst(a: Item, b: Item): number {
  return a.published < b.published ? 1 : a.published > b.published ? -1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
