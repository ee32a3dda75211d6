import { decodeHTMLStrict } from 'entities';

// XML 1.0 forbids C0 controls but tab, LF and CR, and U+FFFE/U+FFFF; feeds from CMS exports carry them anyway.
const ILLEGAL_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const DOCTYPE = /<!DOCTYPE(?:[^[>]|\[[\s\S]*?\])*>/gi;
const CDATA_SECTION = /(<!\[CDATA\[[\s\S]*?\]\]>)/;
const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
// A "&" that starts no well-formed reference: bare ampersands in URLs are the commonest XML error in news feeds.
const ENTITY_OR_AMP = /&(#[0-9]{1,7};|#x[0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)?/g;

/**
 * Makes real-world XML parseable by a strict parser without ever expanding a DTD:
 * drops control characters, removes any DOCTYPE (so no entity declaration, external or internal, is seen),
 * turns HTML named entities into numeric references, and escapes stray ampersands.
 */
export function prepareXml(text: string): string {
  let xml = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  xml = xml.replace(ILLEGAL_XML_CHARS, '');
  xml = xml.replace(DOCTYPE, '');
  // CDATA is literal text: its "&" must stay as it is, so only the parts between sections are rewritten.
  return xml.split(CDATA_SECTION).map((part) => (part.startsWith('<![CDATA[') ? part : rewriteEntities(part))).join('');
}

function rewriteEntities(xml: string): string {
  return xml.replace(ENTITY_OR_AMP, (match, ref: string | undefined) => {
    if (ref === undefined) return '&amp;';
    if (ref.startsWith('#')) return isLegalCharRef(ref) ? match : '';
    const name = ref.slice(0, -1);
    if (XML_ENTITIES.has(name)) return match;
    const decoded = decodeHTMLStrict(match);
    if (decoded === match) return `&amp;${ref}`;
    return [...decoded].map((c) => `&#${c.codePointAt(0)};`).join('');
  });
}

function isLegalCharRef(ref: string): boolean {
  const code = ref[1] === 'x' ? parseInt(ref.slice(2, -1), 16) : parseInt(ref.slice(1, -1), 10);
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff)
    || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}
