// An item whose content is its page's article (a source with fullText: src/fulltext/). Here, beside the item's own
// normalization, because dedupe carries such content over when a feed's next copy of the item changes, and the
// full-text pass sets it: both must agree on what the feed's summary and the item's hash become.
import type { FullTextRecord, Item } from '../model.ts';
import { contentHash } from './item-hashes.ts';

/**
 * `item` with `html` (sanitized) as its content. The feed's summary stays the summary; a feed that gave only
 * content has that content kept as the summary, since the article replaces it. `item` is the feed's version, or an
 * earlier one of these (a page read again).
 */
export function withPageContent(item: Item, html: string, record: Omit<FullTextRecord, 'feedHash' | 'readFor' | 'status'>): Item {
  const hadPage = item.fullText?.status === 'ok';
  const feedHash = hadPage ? item.fullText!.feedHash : item.hash;
  const summary = item.summary ?? (hadPage ? undefined : item.content);
  const next: Item = { ...item, content: html, fullText: { ...record, status: 'ok', feedHash, readFor: feedHash } };
  if (summary) next.summary = summary;
  next.hash = contentHash(next);
  return next;
}

/** The hash the feed's copies of a stored item are compared with: the feed's version's, not the article's. */
export function feedHashOf(item: Item): string {
  return item.fullText?.feedHash ?? item.hash;
}

/**
 * The feed's new version `next` of the stored item `old`, keeping what `old` learnt of its page while the link
 * stays: the article as content (the feed's new summary shown with it), or the failures, so backoff goes on.
 * A new link drops it all: the page is another one.
 */
export function keepPage(old: Item, next: Item): Item {
  const record = old.fullText;
  if (!record || record.link !== next.link) {
    if (!next.fullText) return next;
    const { fullText: _dropped, ...rest } = next;
    return rest;
  }
  if (record.status !== 'ok' || old.content === undefined) return { ...next, fullText: { ...record, feedHash: next.hash } };
  const { fullText: _none, ...fresh } = next;
  const kept = withPageContent(fresh, old.content, record);
  // Read for the feed's earlier version: fullText.refresh reads the page again.
  return { ...kept, fullText: { ...kept.fullText!, readFor: record.readFor } };
}
