// The one gate into PlainText (model.ts): titles, author names and category labels from feeds, feed titles,
// source and site titles from config and OPML files, and the same fields of stored items all cross here, so a
// renderer is handed text, never a source's markup, and writes it as text in its own format.
import { createRequire } from 'node:module';
import { decodeHTML } from 'entities';
import type SanitizeHtml from 'sanitize-html';
import type { PlainText } from '../model.ts';
import { DROPPED_WITH_CONTENT } from './dropped-elements.ts';

// sanitize-html (and the htmlparser2 and postcss it brings) is loaded on the first text that holds markup:
// most config titles and stored items never need it, and `tributary check` should not wait for it. A thread that
// has it already (a read worker: normalize/html.ts) hands it over with useSanitizer(); required here, it was a
// second copy, read file by file from node_modules beside the compiled one (~0.085 CPU-s, on the first untitled
// item or HTML title a worker met).
const require = createRequire(import.meta.url);
let sanitizeHtml: typeof SanitizeHtml | undefined;

/** The sanitize-html this thread has loaded, for htmlToText to use instead of requiring its own. */
export function useSanitizer(loaded: typeof SanitizeHtml): void {
  sanitizeHtml ??= loaded;
}

/**
 * How the text was written where it came from:
 * - `html`: markup (Atom type="html"/"xhtml", base64 HTML, elements pasted into an RSS title, an item's HTML
 *   summary): tags dropped with script and style content, entities decoded once, as a browser would.
 * - `text`: text that is called text but is not always (RSS and JSON Feed titles, Atom type="text", author
 *   names, category labels, OPML outlines): entities decoded, twice because CMSs escape them twice; formatting
 *   tags a CMS leaked into it (as they are, or escaped once more like its entities) dropped, other angle
 *   brackets ("Why <T> matters") kept as the characters they are.
 * - `plain`: already text (a config file's titles, the store's items, our own words): nothing decoded or dropped.
 */
export type TextForm = 'html' | 'text' | 'plain';

/**
 * Text a reader shows as it is: markup read per `form`, control characters dropped, whitespace (no-break and
 * ideographic spaces too) collapsed, clipped to `max` characters with an ellipsis. Applied to its own output
 * with form `plain` it changes nothing, so the store can pass what it loads through here again.
 */
export function toPlainText(value: string, form: TextForm, max = Infinity): PlainText {
  return clip(form === 'html' ? htmlToText(value) : form === 'text' ? textToText(value) : collapse(value), max) as PlainText;
}

function textToText(value: string): string {
  if (INLINE_HTML_TAG.test(value)) return htmlToText(value);
  // Escaped twice like the "&amp;amp;" it sits beside, "&lt;b&gt;" is the same leaked tag.
  const once = decodeHTML(value);
  return INLINE_HTML_TAG.test(once) ? htmlToText(once) : collapse(decodeHTML(once));
}

const BLOCK_EDGE = /<(?:br|hr|\/?(?:p|div|li|dt|dd|h[1-6]|tr|td|th|blockquote|pre|figcaption|section|article))\b[^<>]*>/gi;

/** Plain text of an HTML fragment: tags dropped, entities decoded, spaces collapsed. */
function htmlToText(html: string): string {
  // Lines and blocks end words: "<p>a</p><p>b</p>" reads "a b", not "ab".
  const spaced = html.replace(BLOCK_EDGE, ' $&');
  sanitizeHtml ??= require('sanitize-html') as typeof SanitizeHtml;
  const withoutTags = sanitizeHtml(spaced, { allowedTags: [], allowedAttributes: {}, nonTextTags: DROPPED_WITH_CONTENT });
  return collapse(decodeHTML(withoutTags));
}

// RSS titles are text, but CMSs leak formatting tags into them; only real HTML tags count, so a title
// like "Why <T> matters" keeps its angle brackets.
const INLINE_HTML_TAG = /<\/?(?:a|b|i|u|s|em|strong|span|font|br|sup|sub|small|big|code|mark|del|ins|q|abbr|cite|p|div|img)\b[^<>]*>/i;

// Control characters (from JSON Feed, or entities decoded here) are not text a reader can show.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]/g;

// What collapse() would change: a control character, whitespace other than one inner space.
const UNCOLLAPSED = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\uFFFE\uFFFF]|[^\S ]|  |^ | $/;

function collapse(text: string): string {
  // The store passes every title it loads through here: most need nothing, and testing is cheaper than replacing.
  if (!UNCOLLAPSED.test(text)) return text;
  return text.replace(CONTROL, '').replace(/[\s\u00a0\u3000]+/g, ' ').trim();
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}
