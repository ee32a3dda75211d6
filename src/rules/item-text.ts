import { decodeHTML } from 'entities';
import type { Item } from '../model.ts';
import { matchField, type MatchField } from './fold.ts';

// Caps on what rules read, which bound the cost of every match (see pattern.ts). A summary is an item's
// opening; when a feed sends the whole article as its description, its first paragraphs decide.
const MAX_SUMMARY_CHARS = 2000;
const MAX_CATEGORY_CHARS = 200;
const MAX_CATEGORIES = 50;

/** The text rules and filters look at: title, summary (else the content's opening) and categories. */
export function itemFields(item: Pick<Item, 'title' | 'summary' | 'content' | 'categories'>): MatchField[] {
  const fields = [matchField('title', item.title)];
  const html = item.summary ?? item.content;
  if (html) {
    // Cut the HTML before converting as well, so a huge article costs no more than its opening.
    const text = sanitizedHtmlText(html.length > MAX_SUMMARY_CHARS * 8 ? html.slice(0, MAX_SUMMARY_CHARS * 8) : html);
    if (text) fields.push(matchField('summary', text.slice(0, MAX_SUMMARY_CHARS)));
  }
  for (const category of item.categories.slice(0, MAX_CATEGORIES)) {
    fields.push(matchField('category', category.slice(0, MAX_CATEGORY_CHARS)));
  }
  return fields;
}

/**
 * Text of HTML that normalize/ already sanitized: there every "<" of the text is escaped and no script or
 * style is left, so dropping tags is enough. normalize's htmlToText parses the HTML again, which costs
 * some 60 times more; a store re-tagged after a rules change pays it for every item.
 */
function sanitizedHtmlText(html: string): string {
  return decodeHTML(html.replace(/<[^>]*>/g, ' ')).replace(/[\s\u00a0\u3000]+/g, ' ').trim();
}
