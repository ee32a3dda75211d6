import { EnclosureList, mediaEnclosures } from './enclosures.ts';
import { plainTextToHtml } from './text-html.ts';
import type { RawAuthor, RawItem } from './types.ts';
import type { ItemMarkup } from './xml-scan.ts';
import { attrOf, baseInside, childOf, childText, childrenOf, isNode, textOf } from './xml-node.ts';

/** What an Atom entry inherits from its <feed>. */
export interface AtomFeedContext {
  documentUrl?: string;
  /** xml:base declared on <feed> */
  base?: string;
  /** xml:lang of <feed> */
  language?: string;
  /** <feed><author>: the author of every entry that names none (RFC 4287 §4.2.1) */
  author?: RawAuthor;
}

/** One Atom 1.0 or 0.3 <entry> (an xml2js node) to a RawItem. */
export function atomEntry(entry: unknown, markup: ItemMarkup, feed: AtomFeedContext): RawItem {
  const base = baseInside(entry, feed.base, feed.documentUrl);
  const enclosures = new EnclosureList();
  const raw: RawItem = { categories: atomCategories(entry), enclosures: enclosures.items };
  set(raw, 'guid', childText(entry, 'id'));
  const title = textConstruct(childOf(entry, 'title'), markup.title);
  if (title) {
    raw.title = title.value;
    if (title.isHtml) raw.titleIsHtml = true;
  }
  const link = pickLinks(entry, base, feed.documentUrl, enclosures);
  set(raw, 'link', link?.href);
  // Atom 0.3 names the dates issued, created and modified.
  set(raw, 'published', childText(entry, 'published', 'issued', 'created', 'dc:date'));
  set(raw, 'updated', childText(entry, 'updated', 'modified', 'dcterms:modified'));
  const summaryNode = childOf(entry, 'summary');
  const contentNode = childOf(entry, 'content');
  set(raw, 'summary', asHtml(textConstruct(summaryNode, markup.summary)));
  set(raw, 'content', asHtml(textConstruct(contentNode, markup.content)));
  const author = atomAuthor(childOf(entry, 'author')) ?? atomAuthor(childOf(childOf(entry, 'source'), 'author')) ?? feed.author
    ?? nameOnly(childText(entry, 'dc:creator'));
  if (author) raw.author = author;
  mediaEnclosures(entry, enclosures);
  set(raw, 'language', attrOf(entry, 'xml:lang')?.trim() || childText(entry, 'dc:language') || feed.language);
  set(raw, 'base', base);
  if (link?.base !== base) set(raw, 'linkBase', link?.base);
  const summaryBase = baseInside(summaryNode, base, feed.documentUrl);
  const contentBase = baseInside(contentNode, base, feed.documentUrl);
  if (summaryBase !== base) set(raw, 'summaryBase', summaryBase);
  if (contentBase !== base) set(raw, 'contentBase', contentBase);
  return raw;
}

/** An Atom <author> or <contributor>; 0.3 calls the URI <url>. */
export function atomAuthor(node: unknown): RawAuthor | undefined {
  if (!isNode(node)) return nameOnly(textOf(node));
  const author: RawAuthor = {};
  set(author, 'name', childText(node, 'name'));
  set(author, 'email', childText(node, 'email'));
  set(author, 'uri', childText(node, 'uri', 'url'));
  return Object.keys(author).length ? author : undefined;
}

export interface TextValue {
  value: string;
  isHtml: boolean;
}

/**
 * An Atom text construct: type text | html | xhtml (1.0), or a MIME type with mode escaped | xml | base64 (0.3).
 * An empty type is text, its default. Out-of-line content (src="…") has no text to show; nor has content of an
 * XML media type (child elements), nor base64 bytes that are not UTF-8 text.
 */
export function textConstruct(node: unknown, markup: string | undefined): TextValue | undefined {
  if (node === undefined || attrOf(node, 'src')) return undefined;
  if (markup !== undefined) return { value: markup, isHtml: true };
  const type = attrOf(node, 'type')?.trim().toLowerCase() || 'text';
  let text = textOf(node);
  if (text === undefined) return undefined;
  if (attrOf(node, 'mode')?.trim().toLowerCase() === 'base64') text = Buffer.from(text, 'base64').toString('utf8');
  if (['html', 'xhtml', 'text/html', 'application/xhtml+xml'].includes(type)) return { value: text, isHtml: true };
  if (type === 'text' || type.startsWith('text/')) return { value: text, isHtml: false };
  if (type.endsWith('+xml') || type.endsWith('/xml')) return undefined;
  // Any other media type is base64 (RFC 4287 §4.1.3.3 rule 5): generators label HTML application/octet-stream.
  const decoded = base64Text(text);
  return decoded === undefined ? undefined : { value: decoded, isHtml: HTML_TAG.test(decoded) };
}

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;
// Controls other than tab and line breaks: bytes that decode as UTF-8 but are no text.
const BINARY = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const HTML_TAG = /<\/?[a-z][a-z0-9]*(?:\s[^<>]*)?\/?>/i;

/** The text that base64 encodes, when it is UTF-8 text; undefined for binary (an image) or no base64 at all. */
function base64Text(encoded: string): string | undefined {
  if (!encoded.trim() || !BASE64.test(encoded)) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
    return BINARY.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

function asHtml(text: TextValue | undefined): string | undefined {
  if (!text) return undefined;
  return text.isHtml ? text.value : plainTextToHtml(text.value);
}

/**
 * The entry's link: the first rel="alternate" (rel defaults to it) of an HTML type, else the first alternate.
 * rel="enclosure" links become enclosures, resolved against their own xml:base.
 */
function pickLinks(entry: unknown, base: string | undefined, documentUrl: string | undefined, enclosures: EnclosureList): { href: string; base: string | undefined } | undefined {
  let html: { href: string; base: string | undefined } | undefined;
  let first: typeof html;
  for (const node of childrenOf(entry, 'link')) {
    // Some generators write <link>URL</link>, RSS-style, inside Atom.
    const href = (attrOf(node, 'href') ?? (isNode(node) ? undefined : textOf(node)))?.trim();
    if (!href) continue;
    const rel = (attrOf(node, 'rel') ?? 'alternate').trim().toLowerCase();
    const linkBase = baseInside(node, base, documentUrl);
    if (rel === 'enclosure') enclosures.add(linkBase ? absolute(href, linkBase) : href, attrOf(node, 'type'), attrOf(node, 'length'));
    if (rel !== 'alternate') continue;
    const type = attrOf(node, 'type')?.trim().toLowerCase();
    if (!type || type === 'text/html' || type === 'application/xhtml+xml') html ??= { href, base: linkBase };
    first ??= { href, base: linkBase };
  }
  return html ?? first;
}

function atomCategories(entry: unknown): string[] {
  const out: string[] = [];
  for (const node of childrenOf(entry, 'category')) {
    const value = attrOf(node, 'label') ?? attrOf(node, 'term') ?? textOf(node);
    if (value?.trim()) out.push(value.trim());
  }
  for (const node of childrenOf(entry, 'dc:subject')) {
    const value = textOf(node)?.trim();
    if (value) out.push(value);
  }
  return out;
}

function nameOnly(name: string | undefined): RawAuthor | undefined {
  return name?.trim() ? { name: name.trim() } : undefined;
}

function absolute(href: string, base: string): string {
  try {
    return new URL(href, base).href;
  } catch {
    return href;
  }
}

function set<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined && value !== '') target[key] = value;
}
