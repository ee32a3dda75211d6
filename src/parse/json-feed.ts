import { withWindows1252ForC1 } from '../fetch/c1-controls.ts';
import { EnclosureList } from './enclosures.ts';
import { FeedParseError, NotAFeedError } from './errors.ts';
import { plainTextToHtml } from './text-html.ts';
import type { ParsedFeed, RawAuthor, RawItem } from './types.ts';

type Json = Record<string, unknown>;

/** JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1) to a ParsedFeed. */
export function parseJsonFeed(text: string): ParsedFeed {
  let doc: unknown;
  try {
    // "\u0092" in a JSON string is the C1 control a windows-1252 apostrophe became somewhere upstream: read it as
    // the HTML standard (and our decoding of raw bytes, fetch/charset.ts) does, as ’.
    doc = JSON.parse(text, (_key, value: unknown) => (typeof value === 'string' ? withWindows1252ForC1(value) : value));
  } catch (err) {
    throw new FeedParseError(`unparsable JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObject(doc) || typeof doc.version !== 'string' || !doc.version.includes('jsonfeed.org') || !Array.isArray(doc.items)) {
    const said = isObject(doc) ? errorText(doc) : undefined;
    throw new NotAFeedError('json', `not a feed: JSON without a JSON Feed "version" and "items"${said ? ` (it says ${JSON.stringify(said)})` : ''}`);
  }
  const language = str(doc.language);
  // 1.1: items without authors inherit the feed's; 1.0 had a single "author".
  const feedAuthor = authorOf(doc);
  const feed: ParsedFeed = { format: 'json', items: doc.items.filter(isObject).map((item) => jsonItem(item, language, feedAuthor)) };
  if (str(doc.title)) feed.title = str(doc.title)!;
  if (str(doc.home_page_url)) feed.link = str(doc.home_page_url)!;
  const self = str(doc.feed_url)?.trim();
  if (self && URL.canParse(self)) feed.selfUrl = self;
  if (language) feed.language = language;
  const image = str(doc.icon) ?? str(doc.favicon);
  if (image) feed.image = image;
  return feed;
}

function jsonItem(item: Json, feedLanguage: string | undefined, feedAuthor: RawAuthor | undefined): RawItem {
  const raw: RawItem = { categories: strings(item.tags), enclosures: [] };
  // Ids are strings by the spec, numbers in practice.
  const guid = str(item.id) ?? (typeof item.id === 'number' && Number.isFinite(item.id) ? String(item.id) : undefined);
  if (guid) raw.guid = guid.trim();
  const set = (key: 'title' | 'link' | 'published' | 'updated' | 'summary' | 'content' | 'language', v: string | undefined) => {
    if (v) raw[key] = v;
  };
  set('title', str(item.title));
  set('link', str(item.url) ?? str(item.external_url));
  set('published', str(item.date_published));
  set('updated', str(item.date_modified));
  // summary is plain text in JSON Feed.
  const summary = str(item.summary);
  set('summary', summary ? plainTextToHtml(summary) : undefined);
  const contentText = str(item.content_text);
  set('content', str(item.content_html) ?? (contentText ? plainTextToHtml(contentText) : undefined));
  set('language', str(item.language) ?? feedLanguage);
  const author = authorOf(item) ?? feedAuthor;
  if (author) raw.author = author;
  if (Array.isArray(item.attachments)) {
    const enclosures = new EnclosureList();
    for (const a of item.attachments.filter(isObject)) {
      enclosures.add(str(a.url), str(a.mime_type), typeof a.size_in_bytes === 'number' ? a.size_in_bytes : undefined);
    }
    raw.enclosures = enclosures.items;
  }
  return raw;
}

function authorOf(holder: Json): RawAuthor | undefined {
  const candidates = Array.isArray(holder.authors) ? holder.authors : holder.author ? [holder.author] : [];
  const first = candidates.find(isObject);
  if (!first) return undefined;
  const author: RawAuthor = {};
  if (str(first.name)) author.name = str(first.name)!;
  if (str(first.url)) {
    // A mailto: url is how JSON Feed authors give an address.
    const url = str(first.url)!;
    if (/^mailto:/i.test(url)) author.email = url.slice(7);
    else author.uri = url;
  }
  return Object.keys(author).length ? author : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim()) : [];
}

/** An API's error object ({"error": "…"} or {"message": "…"}), worth showing to the operator. */
function errorText(doc: Record<string, unknown>): string | undefined {
  for (const key of ['error', 'message', 'detail', 'error_description']) {
    const value = doc[key];
    if (typeof value === 'string' && value.trim()) return value.trim().slice(0, 200);
    if (isObject(value) && typeof (value as { message?: unknown }).message === 'string') return ((value as { message: string }).message).trim().slice(0, 200);
  }
  return undefined;
}
