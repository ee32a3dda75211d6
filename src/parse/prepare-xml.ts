import { decodeHTMLStrict } from 'entities';
import { replaceCodePoint } from 'entities/decode';
import { FeedParseError, XmlEntityError } from './errors.ts';

// XML 1.0 forbids C0 controls but tab, LF and CR, and U+FFFE/U+FFFF; feeds from CMS exports carry them anyway.
const ILLEGAL_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
// Openers of what the reference pass must step over (CDATA, comments: their "&" is literal) or look at ("&").
const OPENERS = /&|<!\[CDATA\[|<!--/g;
const REFERENCE = /&(#[0-9]{1,7};|#x[0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9._-]{0,31};)/y;
// An internal-subset entity that only names one character (`<!ENTITY nbsp "&#160;">`, seen in old RSS 0.91
// feeds) is safe to honour: it cannot grow and refers to nothing outside.
const CHAR_REF_VALUE = /^&#(?:[0-9]{1,7}|x[0-9a-fA-F]{1,6});$/;

/**
 * Makes real-world XML readable by a strict parser without ever expanding a DTD:
 * drops control characters, removes the DOCTYPE (so nothing is fetched and no entity is declared),
 * rejects documents whose DOCTYPE declares entities that could read a resource or grow (XmlEntityError),
 * turns HTML named entities into numeric references and escapes stray ampersands, outside CDATA and comments.
 * Every step is one linear pass: a 10 MB hostile body costs what a 10 MB feed costs.
 */
export function prepareXml(text: string): string {
  let xml = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  xml = xml.replace(ILLEGAL_XML_CHARS, '');
  const doctype = findDoctype(xml);
  let entities = new Map<string, string>();
  if (doctype) {
    entities = safeEntities(xml.slice(doctype.subsetStart, doctype.subsetEnd));
    xml = xml.slice(0, doctype.start) + xml.slice(doctype.end);
  }
  return rewriteReferences(xml, entities);
}

interface DoctypeSpan {
  start: number;
  end: number;
  /** the internal subset between [ and ], empty when there is none */
  subsetStart: number;
  subsetEnd: number;
}

/** The DOCTYPE of the prolog, if any. Only the prolog can hold one; elsewhere the parser reports it. */
function findDoctype(xml: string): DoctypeSpan | undefined {
  let i = 0;
  for (;;) {
    while (i < xml.length && /\s/.test(xml[i]!)) i++;
    if (xml.startsWith('<?', i)) i = after(xml, '?>', i);
    else if (xml.startsWith('<!--', i)) i = after(xml, '-->', i);
    else break;
  }
  if (xml.slice(i, i + 9).toUpperCase() !== '<!DOCTYPE') return undefined;
  const start = i;
  let subsetStart = -1;
  let subsetEnd = -1;
  i += 9;
  while (i < xml.length) {
    const c = xml[i]!;
    if (c === '"' || c === "'") i = after(xml, c, i + 1);
    else if (c === '[' && subsetStart < 0) {
      subsetStart = i + 1;
      subsetEnd = endOfSubset(xml, subsetStart);
      i = subsetEnd + 1;
    } else if (c === '>') return { start, end: i + 1, subsetStart: Math.max(subsetStart, 0), subsetEnd: Math.max(subsetEnd, 0) };
    else i++;
  }
  throw new FeedParseError('unparsable XML: the DOCTYPE declaration never ends');
}

/** Index of the "]" closing an internal subset, stepping over quoted values, comments and PIs. */
function endOfSubset(xml: string, from: number): number {
  let i = from;
  while (i < xml.length) {
    const c = xml[i]!;
    if (c === ']') return i;
    if (c === '"' || c === "'") i = after(xml, c, i + 1);
    else if (xml.startsWith('<!--', i)) i = after(xml, '-->', i + 4);
    else if (xml.startsWith('<?', i)) i = after(xml, '?>', i + 2);
    else i++;
  }
  throw new FeedParseError('unparsable XML: the DOCTYPE internal subset never ends');
}

function after(xml: string, token: string, from: number): number {
  const at = xml.indexOf(token, from);
  if (at < 0) throw new FeedParseError(`unparsable XML: "${token}" expected before the end of the prolog`);
  return at + token.length;
}

const ENTITY_DECL = /^<!ENTITY\s+(%\s+)?([^\s%;"']+)\s*([\s\S]*)>$/;

/** Entities of the internal subset that are one character reference; throws XmlEntityError for any other. */
function safeEntities(subset: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const decl of quotedAware(subset)) {
    const m = ENTITY_DECL.exec(decl);
    if (!m) {
      if (/^<!ENTITY/.test(decl)) throw new XmlEntityError(decl.slice(9, 40).trim() || '?', 'text');
      continue;
    }
    const [, parameter, name, rest] = m as unknown as [string, string | undefined, string, string];
    if (parameter) throw new XmlEntityError(name, 'parameter');
    const body = rest.trim();
    if (/^(SYSTEM|PUBLIC)\b/i.test(body)) throw new XmlEntityError(name, 'external');
    const value = body.match(/^"([^"]*)"$|^'([^']*)'$/);
    const text = value?.[1] ?? value?.[2];
    if (text === undefined || !CHAR_REF_VALUE.test(text) || !isLegalCharRef(text.slice(1))) throw new XmlEntityError(name, 'text');
    out.set(name, text);
  }
  return out;
}

/** Markup declarations of a subset, each from "<!" to its ">", with ">" inside quoted values not ending one. */
function* quotedAware(subset: string): Generator<string> {
  let i = 0;
  while (i < subset.length) {
    const open = subset.indexOf('<!', i);
    if (open < 0) return;
    if (subset.startsWith('<!--', open)) {
      const close = subset.indexOf('-->', open + 4);
      if (close < 0) return;
      i = close + 3;
      continue;
    }
    let j = open + 2;
    while (j < subset.length && subset[j] !== '>') {
      const c = subset[j]!;
      if (c === '"' || c === "'") {
        const close = subset.indexOf(c, j + 1);
        j = close < 0 ? subset.length : close + 1;
      } else j++;
    }
    yield subset.slice(open, j + 1);
    i = j + 1;
  }
}

/** Character and entity references outside CDATA and comments, made acceptable to a strict XML parser. */
function rewriteReferences(xml: string, entities: Map<string, string>): string {
  const parts: string[] = [];
  let flushed = 0;
  OPENERS.lastIndex = 0;
  for (let m = OPENERS.exec(xml); m; m = OPENERS.exec(xml)) {
    const at = m.index;
    if (m[0] !== '&') {
      const close = xml.indexOf(m[0] === '<!--' ? '-->' : ']]>', at + m[0].length);
      if (close < 0) break; // unterminated: the parser reports it
      OPENERS.lastIndex = close + 3;
      continue;
    }
    REFERENCE.lastIndex = at;
    const ref = REFERENCE.exec(xml)?.[1];
    const replacement = referenceFor(ref, entities);
    if (replacement === undefined) continue;
    parts.push(xml.slice(flushed, at), replacement);
    flushed = at + 1 + (ref?.length ?? 0);
    OPENERS.lastIndex = flushed;
  }
  parts.push(xml.slice(flushed));
  return parts.join('');
}

/** What "&<ref>" becomes; undefined keeps it as it is. */
function referenceFor(ref: string | undefined, entities: Map<string, string>): string | undefined {
  // A "&" that starts no well-formed reference: bare ampersands in URLs are the commonest XML error in news feeds.
  if (ref === undefined) return '&amp;';
  // &#146; means what HTML parsers read it as (’): the windows-1252 character of that byte, never a C1 control.
  if (ref.startsWith('#')) return !isLegalCharRef(ref) ? '' : windows1252Ref(ref);
  const name = ref.slice(0, -1);
  if (XML_ENTITIES.has(name)) return undefined;
  const declared = entities.get(name);
  if (declared) return declared;
  const decoded = decodeHTMLStrict(`&${ref}`);
  if (decoded === `&${ref}`) return `&amp;${ref}`;
  return [...decoded].map((c) => `&#${c.codePointAt(0)};`).join('');
}

function windows1252Ref(ref: string): string | undefined {
  const code = charRefCode(ref);
  const mapped = replaceCodePoint(code);
  return mapped === code ? undefined : `&#${mapped};`;
}

function charRefCode(ref: string): number {
  return ref[1] === 'x' ? parseInt(ref.slice(2, -1), 16) : parseInt(ref.slice(1, -1), 10);
}

function isLegalCharRef(ref: string): boolean {
  const code = charRefCode(ref);
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff)
    || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}
