import Parser from 'rss-parser';
import { FeedParseError } from './errors.ts';
import { parseJsonFeed } from './json-feed.ts';
import { prepareXml } from './prepare-xml.ts';
import type { ParsedFeed, RawItem } from './types.ts';

type XmlNode = string | { _?: string; $?: Record<string, string>; [child: string]: unknown };
type Loose = Record<string, any>;

const ITEM_FIELDS: [string, string, { keepArray: boolean }][] = [
  ['title', 'rawTitle', { keepArray: true }],
  ['guid', 'rawGuid', { keepArray: true }],
  ['category', 'rawCategories', { keepArray: true }],
  ['author', 'rawAuthor', { keepArray: true }],
  ['updated', 'rawUpdated', { keepArray: true }],
  ['dc:date', 'rawDcDate', { keepArray: true }],
  ['media:content', 'mediaContent', { keepArray: true }],
  ['media:thumbnail', 'mediaThumbnail', { keepArray: true }],
];

/**
 * rss-parser turns an unparsable Atom <published> into a thrown RangeError that loses the whole feed.
 * This subclass sets such dates aside before rss-parser sees them, so one bad date costs only that date.
 */
class TolerantParser extends Parser<Loose, Loose> {
  parseItemAtom(entry: Loose): Loose {
    const published = textOf(entry.published?.[0]);
    const updated = textOf(entry.updated?.[0]);
    const readable = (value: string | undefined) => value !== undefined && !Number.isNaN(Date.parse(value));
    if (entry.published && !readable(published)) delete entry.published;
    if (entry.updated && !readable(updated)) delete entry.updated;
    const item = (Parser.prototype as unknown as { parseItemAtom(e: Loose): Loose }).parseItemAtom.call(this, entry);
    if (published !== undefined) item.rawPublished = published;
    if (updated !== undefined) item.rawUpdatedText = updated;
    return item;
  }
}

const parser = new TolerantParser({ customFields: { feed: ['logo', 'icon'] as never, item: ITEM_FIELDS as never } });

/** Text of a feed document (RSS 0.9x/1.0/2.0, Atom, JSON Feed) to a ParsedFeed. Throws FeedParseError. */
export async function parseFeed(text: string): Promise<ParsedFeed> {
  const head = text.slice(0, 1024).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{')) return parseJsonFeed(text);
  if (!head.startsWith('<')) throw new FeedParseError(`not a feed: the body starts with ${JSON.stringify(head.slice(0, 40))}`);
  if (/^(?:<!--[\s\S]*?-->\s*)*<!doctype html|^<html[\s>]/i.test(head)) {
    throw new FeedParseError('not a feed: the body is an HTML page');
  }
  let output: Loose;
  try {
    output = await parser.parseString(prepareXml(text));
  } catch (err) {
    throw new FeedParseError(`unparsable XML: ${firstLine((err as Error).message)}`, { cause: err });
  }
  const format = detectFormat(text);
  return {
    format,
    ...optionalText('title', output.title),
    ...optionalText('link', output.link),
    ...optionalText('language', output.language),
    ...optionalText('image', output.image?.url ?? output.logo ?? output.icon),
    items: (output.items as Loose[]).map((item) => (format === 'atom' ? atomItem(item) : rssItem(item))),
  };
}

function detectFormat(text: string): ParsedFeed['format'] {
  if (/<feed[\s>]/.test(text.slice(0, 4096))) return 'atom';
  if (/<rdf:RDF[\s>]/.test(text.slice(0, 4096))) return 'rdf';
  return 'rss';
}

function rssItem(item: Loose): RawItem {
  const guidNode = item.rawGuid?.[0] as XmlNode | undefined;
  const guid = textOf(guidNode);
  const isPermaLink = typeof guidNode === 'object' ? guidNode.$?.isPermaLink : undefined;
  const raw: RawItem = {
    categories: categoriesOf(item.rawCategories),
    enclosures: enclosuresOf(item),
  };
  assign(raw, 'guid', guid?.trim() || (typeof item['rdf:about'] === 'string' ? item['rdf:about'] : undefined));
  if (guid) raw.guidIsPermaLink = isPermaLink === undefined ? true : isPermaLink.trim().toLowerCase() !== 'false';
  assign(raw, 'title', textOf(item.rawTitle?.[0]));
  assign(raw, 'link', textOf(item.link) ?? (raw.guidIsPermaLink ? guid : undefined));
  assign(raw, 'published', textOf(item.pubDate) ?? textOf(item.rawDcDate?.[0]));
  assign(raw, 'updated', textOf(item.rawUpdated?.[0]));
  assign(raw, 'summary', textOf(item.content));
  assign(raw, 'content', textOf(item['content:encoded']));
  const author = textOf(item.creator) ?? textOf(item.author);
  if (author) raw.author = rssAuthor(author);
  return raw;
}

function atomItem(item: Loose): RawItem {
  const titleNode = item.rawTitle?.[0] as XmlNode | undefined;
  const titleType = typeof titleNode === 'object' ? titleNode.$?.type : undefined;
  const raw: RawItem = {
    categories: categoriesOf(item.rawCategories),
    enclosures: enclosuresOf(item),
  };
  assign(raw, 'guid', textOf(item.id)?.trim());
  assign(raw, 'title', typeof item.title === 'string' ? item.title : textOf(titleNode));
  if (titleType === 'html' || titleType === 'xhtml') raw.titleIsHtml = true;
  assign(raw, 'link', textOf(item.link));
  assign(raw, 'published', item.rawPublished);
  assign(raw, 'updated', item.rawUpdatedText);
  assign(raw, 'summary', textOf(item.summary));
  assign(raw, 'content', textOf(item.content));
  const authorNode = item.rawAuthor?.[0] as Loose | undefined;
  if (authorNode && typeof authorNode === 'object') {
    const author: RawItem['author'] = {};
    assign(author, 'name', textOf(authorNode.name?.[0])?.trim());
    assign(author, 'email', textOf(authorNode.email?.[0])?.trim());
    assign(author, 'uri', textOf(authorNode.uri?.[0])?.trim());
    if (Object.keys(author).length > 0) raw.author = author;
  }
  return raw;
}

/** RSS <author> is "email (Name)" by the spec and a bare name in practice. */
function rssAuthor(value: string): RawItem['author'] {
  const text = value.trim();
  const match = text.match(/^([^\s()<>@]+@[^\s()<>@]+)\s*\((.+)\)$/);
  if (match) return { email: match[1]!, name: match[2]!.trim() };
  if (/^[^\s@]+@[^\s@]+$/.test(text)) return { email: text };
  return { name: text };
}

/** Categories come as strings, {_: text}, or Atom {$: {term, label}}. */
function categoriesOf(nodes: unknown): string[] {
  if (!Array.isArray(nodes)) return [];
  const out: string[] = [];
  for (const node of nodes as XmlNode[]) {
    const value = typeof node === 'object' && node.$ ? (node.$.label ?? node.$.term ?? node._) : textOf(node);
    if (typeof value === 'string' && value.trim()) out.push(value.trim());
  }
  return out;
}

function enclosuresOf(item: Loose): RawItem['enclosures'] {
  const out: RawItem['enclosures'] = [];
  const add = (url: unknown, type: unknown, length: unknown) => {
    if (typeof url !== 'string' || !url.trim() || out.some((e) => e.url === url.trim())) return;
    const enclosure: RawItem['enclosures'][number] = { url: url.trim() };
    if (typeof type === 'string' && type.trim()) enclosure.type = type.trim();
    const size = Number(length);
    if (Number.isFinite(size) && size > 0) enclosure.length = size;
    out.push(enclosure);
  };
  if (item.enclosure) add(item.enclosure.url, item.enclosure.type, item.enclosure.length);
  for (const node of [...(item.mediaContent ?? []), ...(item.mediaThumbnail ?? [])] as Loose[]) {
    const attrs = node?.$ ?? {};
    add(attrs.url, attrs.type ?? (attrs.medium === 'image' ? 'image/*' : undefined), attrs.fileSize);
  }
  return out;
}

function textOf(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (node && typeof node === 'object' && typeof (node as { _?: unknown })._ === 'string') return (node as { _: string })._;
  return undefined;
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined && value !== '') target[key] = value;
}

function optionalText<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  const text = textOf(value)?.trim();
  return (text ? { [key]: text } : {}) as { [P in K]?: string };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.slice(0, 200);
}
