// Checks our output against the rules the W3C Feed Validation Service enforces as errors, and against the
// warnings of it that a fix on our side can remove (self link matching the URL fetched, implausible dates,
// language codes, enclosure types, one enclosure per RSS item, description before content:encoded, guid
// isPermaLink, registered link relations), using an independent strict XML parser (fast-xml-parser), so a
// bug in our renderer cannot hide behind our parser.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

type Node = Record<string, any>;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$/;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  isArray: (name) => ['entry', 'item', 'link', 'category', 'atom:link', 'author', 'enclosure'].includes(name),
  processEntities: true,
});

export interface LintOptions {
  /** the URL the document was fetched from: the self link must name it (W3C "SelfDoesntMatchLocation") */
  location?: string;
  /** hubs the document must advertise */
  hubs?: string[];
}

// IANA link relations that feeds of ours use or that readers know; W3C warns on unregistered ones.
const LINK_RELS = new Set(['alternate', 'self', 'related', 'enclosure', 'via', 'hub', 'first', 'next', 'previous', 'prev', 'last', 'license', 'replies', 'edit']);
const MIME = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;
// feed@6 announces enclosures as "image/<file extension>"; these are the image types that really exist.
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/svg+xml', 'image/bmp', 'image/tiff', 'image/x-icon', 'image/vnd.microsoft.icon']);
const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i;
// RFC 4151 as the W3C validator reads it: authority, date, specific part.
const TAG_URI = /^tag:([a-z0-9\-._]+?@)?[a-z0-9.\-]+?,\d{4}(-\d{2}(-\d{2})?)?:[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*(#[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*)?$/;

/** An id that is a tag: URI must be a well-formed one. */
function tagProblems(where: string, id: string | undefined): string[] {
  return id?.startsWith('tag:') && !TAG_URI.test(id) ? [`${where}: malformed tag: URI ${id}`] : [];
}

/** W3C "ImplausibleDate": before 1990, or more than a day ahead. */
function isPlausible(date: string | undefined): boolean {
  const ms = Date.parse(date ?? '');
  return Number.isFinite(ms) && ms >= Date.UTC(1990, 0, 1) && ms <= Date.now() + 86_400_000;
}

function enclosureProblems(where: string, href: unknown, type: unknown, length: unknown, lengthRequired: boolean): string[] {
  const problems: string[] = [];
  if (!isAbsoluteIri(href)) problems.push(`${where}: enclosure without an absolute URL`);
  if (typeof type !== 'string' || !MIME.test(type)) problems.push(`${where}: enclosure type is not a media type: ${type}`);
  else if (type.startsWith('image/') && !IMAGE_TYPES.has(type)) problems.push(`${where}: enclosure type ${type} is not a real image type`);
  if (length === undefined ? lengthRequired : !/^\d+$/.test(String(length))) problems.push(`${where}: enclosure length must be a whole number, got ${length}`);
  return problems;
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

function isAbsoluteIri(value: unknown): boolean {
  if (typeof value !== 'string' || /\s/.test(value)) return false;
  try {
    new URL(value);
    return /^[a-z][a-z0-9+.-]*:/i.test(value);
  } catch {
    return false;
  }
}

function text(node: unknown): string | undefined {
  if (Array.isArray(node)) return node.length === 1 ? text(node[0]) : undefined;
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (node && typeof node === 'object' && '#text' in node) return String((node as Node)['#text']);
  return undefined;
}

/** Returns the list of problems found in an Atom 1.0 document (empty when valid). */
export function lintAtom(xml: string, options: LintOptions = {}): string[] {
  const problems: string[] = [];
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) return [`not well-formed: ${wellFormed.err.msg} at line ${wellFormed.err.line}`];
  const feed = parser.parse(xml).feed as Node | undefined;
  if (!feed) return ['no <feed> root'];
  if (feed['@xmlns'] !== 'http://www.w3.org/2005/Atom') problems.push('feed: wrong or missing Atom namespace');
  if (!isAbsoluteIri(text(feed.id))) problems.push('feed: id must be an absolute IRI');
  if (!text(feed.title)) problems.push('feed: missing title');
  if (!RFC3339.test(text(feed.updated) ?? '')) problems.push(`feed: updated is not RFC 3339: ${text(feed.updated)}`);
  if (!isPlausible(text(feed.updated))) problems.push(`feed: implausible updated ${text(feed.updated)}`);
  const links: Node[] = feed.link ?? [];
  const self = links.find((l) => l['@rel'] === 'self');
  if (!self) problems.push('feed: missing rel="self" link');
  if (self && options.location && !sameUrl(self['@href'], options.location)) problems.push(`feed: self link ${self['@href']} is not the location ${options.location}`);
  if (!links.some((l) => (l['@rel'] ?? 'alternate') === 'alternate')) problems.push('feed: missing rel="alternate" link');
  const alternates = links.filter((l) => (l['@rel'] ?? 'alternate') === 'alternate').map((l) => `${l['@type'] ?? ''}|${l['@hreflang'] ?? ''}`);
  if (new Set(alternates).size !== alternates.length) problems.push('feed: two alternate links with the same type and hreflang');
  for (const l of links) {
    if (!LINK_RELS.has(l['@rel'] ?? 'alternate')) problems.push(`feed: unregistered link relation ${l['@rel']}`);
    if (!isAbsoluteIri(l['@href'])) problems.push(`feed: link rel=${l['@rel']} href not absolute: ${l['@href']}`);
  }
  for (const hub of options.hubs ?? []) if (!links.some((l) => l['@rel'] === 'hub' && l['@href'] === hub)) problems.push(`feed: no rel="hub" link to ${hub}`);
  if (feed['@xml:lang'] !== undefined && !LANGUAGE.test(feed['@xml:lang'])) problems.push(`feed: xml:lang is not a language tag: ${feed['@xml:lang']}`);
  for (const key of ['icon', 'logo']) if (feed[key] !== undefined && !isAbsoluteIri(text(feed[key]))) problems.push(`feed: ${key} is not an absolute IRI`);
  const entries: Node[] = feed.entry ?? [];
  const feedHasAuthor = (feed.author ?? []).some((a: Node) => text(a.name));
  const ids = new Set<string>();
  entries.forEach((entry, i) => {
    const where = `entry ${i}`;
    const id = text(entry.id);
    if (!isAbsoluteIri(id)) problems.push(`${where}: id must be an absolute IRI, got ${id}`);
    if (id && ids.has(id)) problems.push(`${where}: duplicate id ${id}`);
    problems.push(...tagProblems(where, id));
    if (id) ids.add(id);
    if (text(entry.title) === undefined) problems.push(`${where}: missing title`);
    if (!RFC3339.test(text(entry.updated) ?? '')) problems.push(`${where}: updated is not RFC 3339`);
    if (entry.published !== undefined && !RFC3339.test(text(entry.published) ?? '')) problems.push(`${where}: published is not RFC 3339`);
    if (!isPlausible(text(entry.updated))) problems.push(`${where}: implausible updated ${text(entry.updated)}`);
    const entryLinks: Node[] = entry.link ?? [];
    for (const l of entryLinks) {
      if (!LINK_RELS.has(l['@rel'] ?? 'alternate')) problems.push(`${where}: unregistered link relation ${l['@rel']}`);
      if (l['@rel'] === 'enclosure') problems.push(...enclosureProblems(where, l['@href'], l['@type'], l['@length'], false));
    }
    if (!entry.content && !entryLinks.some((l) => (l['@rel'] ?? 'alternate') === 'alternate')) problems.push(`${where}: no content and no alternate link`);
    for (const l of entryLinks) if (!isAbsoluteIri(l['@href'])) problems.push(`${where}: link href not absolute: ${l['@href']}`);
    for (const c of (entry.category ?? []) as Node[]) if (!c['@term']) problems.push(`${where}: category without term`);
    if (!feedHasAuthor && !(entry.author ?? []).some((a: Node) => text(a.name))) problems.push(`${where}: no author and the feed has none`);
    for (const key of ['summary', 'content', 'title'] as const) {
      const node = entry[key];
      if (node && typeof node === 'object' && node['@type'] && !['text', 'html', 'xhtml'].includes(node['@type']) && !String(node['@type']).includes('/')) {
        problems.push(`${where}: ${key} has unknown type ${node['@type']}`);
      }
    }
  });
  return problems;
}

/** Returns the list of problems found in an RSS 2.0 document (empty when valid). */
export function lintRss(xml: string, options: LintOptions = {}): string[] {
  const problems: string[] = [];
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) return [`not well-formed: ${wellFormed.err.msg} at line ${wellFormed.err.line}`];
  const rss = parser.parse(xml).rss as Node | undefined;
  if (!rss || String(rss['@version']) !== '2.0') return ['no <rss version="2.0"> root'];
  const channel = rss.channel as Node;
  for (const key of ['title', 'link', 'description']) if (channel[key] === undefined) problems.push(`channel: missing ${key}`);
  if (channel.lastBuildDate && !RFC822.test(text(channel.lastBuildDate) ?? '')) problems.push('channel: lastBuildDate not RFC 822');
  if (channel.lastBuildDate && !isPlausible(text(channel.lastBuildDate))) problems.push('channel: implausible lastBuildDate');
  const atomLinks = (channel['atom:link'] ?? []) as Node[];
  const selfLink = atomLinks.find((l) => l['@rel'] === 'self');
  if (!selfLink) problems.push('channel: missing atom:link rel="self"');
  if (selfLink && rss['@xmlns:atom'] !== 'http://www.w3.org/2005/Atom') problems.push('atom namespace not declared');
  if (selfLink && selfLink['@type'] !== 'application/rss+xml') problems.push('channel: self link type is not application/rss+xml');
  if (selfLink && options.location && !sameUrl(selfLink['@href'], options.location)) problems.push(`channel: self link ${selfLink['@href']} is not the location ${options.location}`);
  for (const l of atomLinks) {
    if (!LINK_RELS.has(l['@rel'])) problems.push(`channel: unregistered link relation ${l['@rel']}`);
    if (!isAbsoluteIri(l['@href'])) problems.push(`channel: atom:link rel=${l['@rel']} href not absolute`);
  }
  for (const hub of options.hubs ?? []) if (!atomLinks.some((l) => l['@rel'] === 'hub' && l['@href'] === hub)) problems.push(`channel: no rel="hub" link to ${hub}`);
  if (channel.language !== undefined && !LANGUAGE.test(text(channel.language) ?? '')) problems.push(`channel: language is not a language code: ${text(channel.language)}`);
  if (channel.image !== undefined) {
    if (text(channel.image.title) !== text(channel.title)) problems.push('channel: image title does not match the channel title');
    if (text(channel.image.link) !== text(channel.link)) problems.push('channel: image link does not match the channel link');
  }
  if (/="undefined"/.test(xml)) problems.push('an attribute reads "undefined"');
  xml.split('<item>').slice(1).forEach((chunk, i) => {
    const content = chunk.indexOf('<content:encoded>');
    const description = chunk.indexOf('<description>');
    if (content >= 0 && (description < 0 || description > content)) problems.push(`item ${i}: description must come before content:encoded`);
  });
  const guids = new Set<string>();
  ((channel.item ?? []) as Node[]).forEach((item, i) => {
    const where = `item ${i}`;
    if (item.title === undefined && item.description === undefined) problems.push(`${where}: needs title or description`);
    if (item.pubDate !== undefined && !RFC822.test(text(item.pubDate) ?? '')) problems.push(`${where}: pubDate not RFC 822: ${text(item.pubDate)}`);
    if (item.pubDate !== undefined && !isPlausible(text(item.pubDate))) problems.push(`${where}: implausible pubDate`);
    if (item.guid === undefined) problems.push(`${where}: no guid`);
    const enclosures = (item.enclosure ?? []) as Node[];
    if (enclosures.length > 1) problems.push(`${where}: more than one enclosure`);
    for (const e of enclosures) problems.push(...enclosureProblems(where, e['@url'], e['@type'], e['@length'], true));
    const guid = text(item.guid);
    if (guid && guids.has(guid)) problems.push(`${where}: duplicate guid`);
    problems.push(...tagProblems(where, guid));
    if (guid) guids.add(guid);
    if (item.guid?.['@isPermaLink'] !== 'false' && guid && !/^https?:\/\//.test(guid)) problems.push(`${where}: permalink guid is not a URL`);
    if (item.author !== undefined && !/@/.test(text(item.author) ?? '')) problems.push(`${where}: author must contain an e-mail address`);
    if (item['dc:creator'] !== undefined && !rss['@xmlns:dc']) problems.push('dc namespace not declared');
    if (item['content:encoded'] !== undefined && !rss['@xmlns:content']) problems.push('content namespace not declared');
    if (item.source !== undefined && !/^https?:\/\//.test(item.source['@url'] ?? '')) problems.push(`${where}: source without url`);
    if (item.link !== undefined && !/^https?:\/\//.test(text(item.link) ?? '')) problems.push(`${where}: link not absolute`);
  });
  return problems;
}

/** Returns the list of problems found in a JSON Feed 1.1 document (empty when valid). */
export function lintJsonFeed(body: string, options: LintOptions = {}): string[] {
  const problems: string[] = [];
  const doc = JSON.parse(body) as Node;
  if (doc.version !== 'https://jsonfeed.org/version/1.1') problems.push(`version is ${doc.version}`);
  if (typeof doc.title !== 'string') problems.push('missing title');
  if (doc.language !== undefined && !LANGUAGE.test(doc.language)) problems.push(`language is not a language tag: ${doc.language}`);
  for (const key of ['feed_url', 'home_page_url', 'next_url', 'icon']) if (doc[key] !== undefined && !isAbsoluteIri(doc[key])) problems.push(`${key} is not an absolute URL`);
  if (doc.hubs !== undefined && !(Array.isArray(doc.hubs) && doc.hubs.every((h: Node) => typeof h.type === 'string' && isAbsoluteIri(h.url)))) problems.push('hubs must be {type, url} objects');
  if (doc.author !== undefined) problems.push('1.1 uses authors, not author');
  if (!Array.isArray(doc.items)) return [...problems, 'items is not an array'];
  const ids = new Set<string>();
  doc.items.forEach((item: Node, i: number) => {
    if (typeof item.id !== 'string' || !item.id) problems.push(`item ${i}: id must be a non-empty string`);
    if (ids.has(item.id)) problems.push(`item ${i}: duplicate id`);
    ids.add(item.id);
    if (item.content_html === undefined && item.content_text === undefined) problems.push(`item ${i}: needs content_html or content_text`);
    if (item.author !== undefined) problems.push(`item ${i}: 1.1 uses authors, not author`);
    for (const a of (item.attachments ?? []) as Node[]) {
      if (!isAbsoluteIri(a.url) || typeof a.mime_type !== 'string' || !MIME.test(a.mime_type)) problems.push(`item ${i}: attachment needs url and mime_type`);
    }
  });
  if (options.location && doc.feed_url !== undefined && !sameUrl(doc.feed_url, options.location)) problems.push(`feed_url ${doc.feed_url} is not the location ${options.location}`);
  for (const hub of options.hubs ?? []) if (!(doc.hubs ?? []).some((h: Node) => h.url === hub)) problems.push(`no hub ${hub}`);
  return problems;
}

/** Parses an output feed into comparable entries (id, title, link, categories) for assertions. */
export function atomEntries(xml: string): { id: string; title: string; link: string; categories: string[]; source?: string }[] {
  const feed = parser.parse(xml).feed as Node;
  return ((feed.entry ?? []) as Node[]).map((e) => ({
    id: text(e.id)!,
    title: text(e.title)!,
    link: (e.link as Node[])[0]!['@href'],
    categories: ((e.category ?? []) as Node[]).map((c) => c['@term']),
    ...(e.source ? { source: text(e.source.title) } : {}),
  }));
}
