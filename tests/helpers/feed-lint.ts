// Checks our output against the rules the W3C Feed Validation Service enforces as errors, using an
// independent strict XML parser (fast-xml-parser), so a bug in our renderer cannot hide behind our parser.
import { XMLParser, XMLValidator } from 'fast-xml-parser';

type Node = Record<string, any>;

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$/;

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  isArray: (name) => ['entry', 'item', 'link', 'category', 'atom:link', 'author'].includes(name),
  processEntities: true,
});

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
export function lintAtom(xml: string): string[] {
  const problems: string[] = [];
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) return [`not well-formed: ${wellFormed.err.msg} at line ${wellFormed.err.line}`];
  const feed = parser.parse(xml).feed as Node | undefined;
  if (!feed) return ['no <feed> root'];
  if (feed['@xmlns'] !== 'http://www.w3.org/2005/Atom') problems.push('feed: wrong or missing Atom namespace');
  if (!isAbsoluteIri(text(feed.id))) problems.push('feed: id must be an absolute IRI');
  if (!text(feed.title)) problems.push('feed: missing title');
  if (!RFC3339.test(text(feed.updated) ?? '')) problems.push(`feed: updated is not RFC 3339: ${text(feed.updated)}`);
  const links: Node[] = feed.link ?? [];
  if (!links.some((l) => l['@rel'] === 'self')) problems.push('feed: missing rel="self" link');
  const entries: Node[] = feed.entry ?? [];
  const feedHasAuthor = (feed.author ?? []).some((a: Node) => text(a.name));
  const ids = new Set<string>();
  entries.forEach((entry, i) => {
    const where = `entry ${i}`;
    const id = text(entry.id);
    if (!isAbsoluteIri(id)) problems.push(`${where}: id must be an absolute IRI, got ${id}`);
    if (id && ids.has(id)) problems.push(`${where}: duplicate id ${id}`);
    if (id) ids.add(id);
    if (text(entry.title) === undefined) problems.push(`${where}: missing title`);
    if (!RFC3339.test(text(entry.updated) ?? '')) problems.push(`${where}: updated is not RFC 3339`);
    if (entry.published !== undefined && !RFC3339.test(text(entry.published) ?? '')) problems.push(`${where}: published is not RFC 3339`);
    const entryLinks: Node[] = entry.link ?? [];
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
export function lintRss(xml: string): string[] {
  const problems: string[] = [];
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) return [`not well-formed: ${wellFormed.err.msg} at line ${wellFormed.err.line}`];
  const rss = parser.parse(xml).rss as Node | undefined;
  if (!rss || String(rss['@version']) !== '2.0') return ['no <rss version="2.0"> root'];
  const channel = rss.channel as Node;
  for (const key of ['title', 'link', 'description']) if (channel[key] === undefined) problems.push(`channel: missing ${key}`);
  if (channel.lastBuildDate && !RFC822.test(text(channel.lastBuildDate) ?? '')) problems.push('channel: lastBuildDate not RFC 822');
  const selfLink = ((channel['atom:link'] ?? []) as Node[]).find((l) => l['@rel'] === 'self');
  if (!selfLink) problems.push('channel: missing atom:link rel="self"');
  if (selfLink && rss['@xmlns:atom'] !== 'http://www.w3.org/2005/Atom') problems.push('atom namespace not declared');
  const guids = new Set<string>();
  ((channel.item ?? []) as Node[]).forEach((item, i) => {
    const where = `item ${i}`;
    if (item.title === undefined && item.description === undefined) problems.push(`${where}: needs title or description`);
    if (item.pubDate !== undefined && !RFC822.test(text(item.pubDate) ?? '')) problems.push(`${where}: pubDate not RFC 822: ${text(item.pubDate)}`);
    const guid = text(item.guid);
    if (guid && guids.has(guid)) problems.push(`${where}: duplicate guid`);
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
export function lintJsonFeed(body: string): string[] {
  const problems: string[] = [];
  const doc = JSON.parse(body) as Node;
  if (doc.version !== 'https://jsonfeed.org/version/1.1') problems.push(`version is ${doc.version}`);
  if (typeof doc.title !== 'string') problems.push('missing title');
  if (!Array.isArray(doc.items)) return [...problems, 'items is not an array'];
  const ids = new Set<string>();
  doc.items.forEach((item: Node, i: number) => {
    if (typeof item.id !== 'string' || !item.id) problems.push(`item ${i}: id must be a non-empty string`);
    if (ids.has(item.id)) problems.push(`item ${i}: duplicate id`);
    ids.add(item.id);
    if (item.content_html === undefined && item.content_text === undefined) problems.push(`item ${i}: needs content_html or content_text`);
    if (item.author !== undefined) problems.push(`item ${i}: 1.1 uses authors, not author`);
  });
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
