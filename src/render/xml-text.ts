// Text and attribute preparation for feed@6, whose serializer (xml-js) escapes some things and not others.

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
