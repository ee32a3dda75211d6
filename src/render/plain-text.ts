import { decodeHTML } from 'entities';
import sanitizeHtml from 'sanitize-html';

/** What a reader sees of stored (sanitized) HTML: tags dropped, entities decoded, whitespace collapsed. */
export function plainText(html: string): string {
  return decodeHTML(sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} })).replace(/\s+/g, ' ').trim();
}
