// A feed's own title as plain text, apart from normalize-item.ts: the serving thread names sources with it
// (ingest.ts) and should not load the item normalizer's HTML sanitizer to do so.
import type { PlainText } from '../model.ts';
import type { ParsedFeed } from '../parse/types.ts';
import { toPlainText } from './plain-text.ts';

/** Longest title kept, in characters (an item's and a feed's). */
export const MAX_TITLE = 500;

/** The feed's own title as plain text (a source's name in the feeds and the index); undefined when it has none. */
export function feedTitleOf(feed: Pick<ParsedFeed, 'title' | 'titleIsHtml'>): PlainText | undefined {
  return toPlainText(feed.title ?? '', feed.titleIsHtml ? 'html' : 'text', MAX_TITLE) || undefined;
}
