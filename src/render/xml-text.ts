// Text and attribute preparation for feed@6, whose serializer (xml-js) escapes some things and not others.
import { decodeHTML } from 'entities';
import type { PlainText } from '../model.ts';

// XML 1.0 cannot carry these at all, not even as references.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlText(text: string): string {
  return text.replace(NOT_XML, '');
}

/** xml-js splits only the first "]]>" of a CDATA section; HTML reads "]]&gt;" the same. */
export function cdataSafe(text: string): string {
  return text.replaceAll(']]>', ']]&gt;');
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Element text as xml-js writes it, to find feed@6's output again. */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value of markup we insert into feed@6's output ourselves. */
export function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, '&quot;');
}

/** xml-js escapes quotes in attributes but not "&". */
export function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}

/**
 * Plain text for an RSS element that readers may render as HTML. RSS 2.0 makes only an item's <description>
 * HTML, but readers differ on every other element (the W3C validator's CharacterData note: "wide variance in how
 * aggregators treat character data"), and many render titles and the channel's <description> as HTML. So what
 * an HTML parser would read as markup is escaped once more: a "<" that opens a tag, comment or declaration, and
 * an "&" that starts a character reference. Nothing else changes, so "AT&T", "A < B" and "x > y" stay exactly as
 * they are for a reader that shows the element as text, and a reader that renders HTML shows the characters.
 */
export function htmlText(text: PlainText | string): string {
  return text.replace(MARKUP_START, (char, at: number) => {
    if (char === '<') return '&lt;';
    const reference = REFERENCE.exec(text.slice(at, at + 40))![0];
    return decodeHTML(reference) === reference ? '&' : '&amp;';
  });
}

// HTML's tokenizer: "<" then a letter opens a tag, "</" an end tag, "<!" a comment or doctype, "<?" a bogus comment.
const MARKUP_START = /<(?=[A-Za-z!/?])|&(?=[#A-Za-z])/g;
const REFERENCE = /^&#?[A-Za-z0-9]*;?/;
