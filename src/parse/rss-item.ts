import { mediaEnclosures } from './enclosures.ts';
import type { RawAuthor, RawItem } from './types.ts';
import type { ItemMarkup } from './xml-scan.ts';
import { attrOf, baseInside, childOf, childText, childrenOf, textOf } from './xml-node.ts';

/** What an RSS item inherits from <rss> and <channel>. */
export interface RssChannelContext {
  documentUrl?: string;
  /** xml:base in effect inside <channel> */
  base?: string;
  /** <language>, dc:language or xml:lang of the channel */
  language?: string;
}

/** One RSS 0.91/0.92/2.0 or RSS 1.0 (RDF) <item> (an xml2js node) to a RawItem. */
export function rssItem(item: unknown, markup: ItemMarkup, channel: RssChannelContext): RawItem {
  const base = baseInside(item, channel.base, channel.documentUrl);
  const raw: RawItem = { categories: rssCategories(item), enclosures: mediaEnclosures(item).items };
  const guidNode = childOf(item, 'guid');
  const guid = textOf(guidNode)?.trim();
  if (guid) {
    raw.guid = guid;
    const isPermaLink = attrOf(guidNode, 'isPermaLink');
    raw.guidIsPermaLink = isPermaLink === undefined || isPermaLink.trim().toLowerCase() !== 'false';
  } else set(raw, 'guid', attrOf(item, 'rdf:about')?.trim());
  if (markup.title !== undefined) {
    raw.title = markup.title;
    raw.titleIsHtml = true;
  } else set(raw, 'title', textOf(childOf(item, 'title')) ?? textOf(childOf(item, 'dc:title')));
  const linkNode = childrenOf(item, 'link').find((node) => textOf(node)?.trim());
  set(raw, 'link', textOf(linkNode)?.trim() ?? alternateAtomLink(item));
  set(raw, 'published', childText(item, 'pubDate', 'dc:date', 'dcterms:issued', 'published'));
  set(raw, 'updated', childText(item, 'atom:updated', 'updated', 'dcterms:modified'));
  set(raw, 'summary', markup.description ?? textOf(childOf(item, 'description')));
  set(raw, 'content', markup['content:encoded'] ?? textOf(childOf(item, 'content:encoded')));
  const author = rssAuthor(childText(item, 'author')) ?? rssAuthor(childText(item, 'dc:creator', 'itunes:author'));
  if (author) raw.author = author;
  set(raw, 'language', childText(item, 'dc:language') ?? (attrOf(item, 'xml:lang')?.trim() || channel.language));
  set(raw, 'base', base);
  const own = (node: unknown) => {
    const inside = baseInside(node, base, channel.documentUrl);
    return inside === base ? undefined : inside;
  };
  set(raw, 'linkBase', own(linkNode));
  set(raw, 'summaryBase', own(childOf(item, 'description')));
  set(raw, 'contentBase', own(childOf(item, 'content:encoded')));
  return raw;
}

/** RSS <author> is "email (Name)" by the spec; in practice also "Name <email>", a bare address or a bare name. */
export function rssAuthor(value: string | undefined): RawAuthor | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const specForm = text.match(/^([^\s()<>@]+@[^\s()<>@]+)\s*\((.+)\)$/);
  if (specForm) return { email: specForm[1]!, name: specForm[2]!.trim() };
  const mailForm = text.match(/^(.*?)\s*<([^\s<>@]+@[^\s<>@]+)>$/);
  if (mailForm) return mailForm[1] ? { name: mailForm[1].replace(/^"|"$/g, ''), email: mailForm[2]! } : { email: mailForm[2]! };
  if (/^[^\s@]+@[^\s@]+$/.test(text)) return { email: text };
  return { name: text };
}

function rssCategories(item: unknown): string[] {
  const out: string[] = [];
  for (const node of [...childrenOf(item, 'category'), ...childrenOf(item, 'dc:subject')]) {
    const value = textOf(node)?.trim();
    if (value) out.push(value);
  }
  return out;
}

/** An empty <link/> next to <atom:link rel="alternate" href="…"> is a pattern of some generators. */
function alternateAtomLink(item: unknown): string | undefined {
  const node = childrenOf(item, 'atom:link').find((l) => (attrOf(l, 'rel') ?? 'alternate') === 'alternate');
  return attrOf(node, 'href')?.trim() || undefined;
}

function set<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined && value !== '') target[key] = value;
}
