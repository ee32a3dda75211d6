import { FeedParseError } from './errors.ts';
import type { ParsedFeed, RawItem } from './types.ts';

type Json = Record<string, unknown>;

/** JSON Feed 1.0 / 1.1 (https://jsonfeed.org/version/1.1) to a ParsedFeed. */
export function parseJsonFeed(text: string): ParsedFeed {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new FeedParseError(`unparsable JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(doc) || typeof doc.version !== 'string' || !doc.version.includes('jsonfeed.org') || !Array.isArray(doc.items)) {
    throw new FeedParseError('not a feed: JSON without a JSON Feed "version" and "items"');
  }
  const feed: ParsedFeed = { format: 'json', items: doc.items.filter(isObject).map(jsonItem) };
  if (typeof doc.title === 'string') feed.title = doc.title;
  if (typeof doc.home_page_url === 'string') feed.link = doc.home_page_url;
  if (typeof doc.language === 'string') feed.language = doc.language;
  const image = doc.icon ?? doc.favicon;
  if (typeof image === 'string' && image) feed.image = image;
  return feed;
}

function jsonItem(item: Json): RawItem {
  const raw: RawItem = { categories: strings(item.tags), enclosures: [] };
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const guid = str(item.id) ?? (typeof item.id === 'number' ? String(item.id) : undefined);
  if (guid) raw.guid = guid;
  const set = (key: 'title' | 'link' | 'published' | 'updated' | 'summary' | 'content', v: unknown) => {
    const s = str(v);
    if (s) raw[key] = s;
  };
  set('title', item.title);
  set('link', item.url ?? item.external_url);
  set('published', item.date_published);
  set('updated', item.date_modified);
  set('summary', item.summary);
  set('content', item.content_html ?? (str(item.content_text) ? escapeText(item.content_text as string) : undefined));
  const authors = Array.isArray(item.authors) ? item.authors : item.author ? [item.author] : [];
  const first = authors.find(isObject);
  if (first) {
    const author: NonNullable<RawItem['author']> = {};
    if (str(first.name)) author.name = first.name as string;
    if (str(first.url)) author.uri = first.url as string;
    if (Object.keys(author).length) raw.author = author;
  }
  if (Array.isArray(item.attachments)) {
    for (const a of item.attachments.filter(isObject)) {
      if (typeof a.url !== 'string') continue;
      raw.enclosures.push({
        url: a.url,
        ...(typeof a.mime_type === 'string' ? { type: a.mime_type } : {}),
        ...(typeof a.size_in_bytes === 'number' ? { length: a.size_in_bytes } : {}),
      });
    }
  }
  return raw;
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '<br>');
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [];
}
