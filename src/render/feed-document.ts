// What every output format shares: the document being rendered, its links, and the feed@6 options built
// from it. The format modules (atom.ts, rss.ts, json-feed.ts) add what is particular to each.
import { Feed, type Item as FeedItem } from 'feed';
import type { Item, PlainText } from '../model.ts';
import type { RuleTags } from '../rules/tagger.ts';
import { itemTags, type FeedSpec } from './feed-specs.ts';
import { cdataSafe, htmlText, xmlText } from './xml-text.ts';

/** the three syndication formats, and the page a person reads (html-view.ts): four renderings of one document */
export type FeedFormat = 'atom' | 'rss' | 'json' | 'html';

export const FEED_FORMATS: readonly FeedFormat[] = ['atom', 'rss', 'json', 'html'];

/** what a reader subscribes to: WebSub topics, the index's and the OPML's links */
export const SYNDICATION_FORMATS: readonly Exclude<FeedFormat, 'html'>[] = ['atom', 'rss', 'json'];

export interface SourceInfo {
  title: PlainText;
  /** the source feed's URL */
  url: string;
  /** the source's home page, when its feed names one */
  link?: string;
  /** the source's logo or icon, when its feed names one */
  image?: string;
}

export interface RenderContext {
  baseUrl: string;
  sources: Map<string, SourceInfo>;
  tagsOf: Map<string, string[]>;
  /** WebSub hubs every feed advertises (rel="hub") */
  hubs: readonly string[];
  /** where browsers find the XSL stylesheet for Atom and RSS (an xml-stylesheet processing instruction) */
  stylesheet?: string;
  /** tags that config rules give an item; they are categories like source tags */
  ruleTags?: RuleTags;
  /** `language:` of the config: every feed's language, and the HTML view's lang and words (default: English) */
  language?: string;
  /** the zone the HTML view shows times in (defaults.timezone); UTC when absent */
  timezone?: string;
  /** the HTML view's "now" for its relative times, in ms; the render's clock when absent (tests fix it) */
  now?: number;
}

/** RFC 5005 links between the pages of a feed, each a query string ('' is the feed itself). */
export interface PageLinks {
  first: string;
  previous?: string;
  next?: string;
  last: string;
}

/** One document of a feed: the feed itself, one of its older pages, or a filtered view. */
export interface FeedDocument {
  spec: FeedSpec;
  /** the entries of this document, newest first */
  items: Item[];
  /** '' or '?…': this document's query, part of its self link */
  query: string;
  /** '' or '?…': the query without the page; a filtered feed is another feed, with another id */
  idQuery: string;
  /** absent when the feed fits on one page */
  paging?: PageLinks;
  /** the date of the document when it has no items: never the render time, so the bytes stay the same */
  emptyUpdated: string;
}

/** Feeds with no item at all still need a plausible date that does not change between renders. */
export const EMPTY_FEED_DATE = '2000-01-01T00:00:00.000Z';

export function feedUrl(baseUrl: string, path: string, format: FeedFormat): string {
  return `${baseUrl}/feeds/${path.split('/').map(encodeURIComponent).join('/')}.${format}`;
}

export function selfUrl(doc: FeedDocument, ctx: RenderContext, format: FeedFormat): string {
  return feedUrl(ctx.baseUrl, doc.spec.path, format) + doc.query;
}

/** The newest item's update: unchanged input gives unchanged output. */
export function documentUpdated(doc: FeedDocument): Date {
  let newest = '';
  for (const item of doc.items) if (item.updated > newest) newest = item.updated;
  return new Date(newest || doc.emptyUpdated);
}

/** A feed's own language: the configured one, else the one every item shares, else none. */
export function feedLanguage(doc: FeedDocument, ctx: RenderContext): string | undefined {
  return canonicalLanguage(ctx.language) ?? sharedLanguage(doc.items);
}

/** The language of every item when they all share one well-formed tag (xml:lang, RSS <language>). */
export function sharedLanguage(items: readonly Item[]): string | undefined {
  const first = items[0]?.language;
  if (!first || !isLanguageTag(first)) return undefined;
  const lower = first.toLowerCase();
  return items.every((item) => item.language?.toLowerCase() === lower) ? canonicalLanguage(first) : undefined;
}

/** A language tag in its canonical case (de-AT, zh-Hant-TW), as RFC 5646 recommends; undefined when malformed. */
export function canonicalLanguage(tag: string | undefined): string | undefined {
  if (!tag || !isLanguageTag(tag)) return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? tag;
  } catch {
    return tag.toLowerCase();
  }
}

/** RFC 5646 in the shape validators accept: a 2–3 letter language and optional subtags. */
export function isLanguageTag(value: string): boolean {
  return /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i.test(value);
}

export function baseFeed(doc: FeedDocument, ctx: RenderContext, format: FeedFormat): Feed {
  const { spec } = doc;
  const language = feedLanguage(doc, ctx);
  const image = spec.kind === 'source' ? ctx.sources.get(spec.name)?.image : undefined;
  // RSS readers render the channel's title and description as HTML as often as not (rss.ts, htmlText);
  // Atom says its titles are text, and JSON Feed's are strings.
  const text = format === 'rss' ? (value: PlainText) => xmlText(htmlText(value)) : xmlText;
  return new Feed({
    id: feedUrl(ctx.baseUrl, spec.path, 'atom') + doc.idQuery,
    title: text(spec.title),
    description: text(spec.description),
    // The feed's web page is its HTML view (Atom rel="alternate", RSS <link>, JSON Feed home_page_url).
    link: feedUrl(ctx.baseUrl, spec.path, 'html') + doc.idQuery,
    // Atom needs an author on the feed unless every entry has one; the aggregator itself signs the feed.
    author: { name: xmlText(spec.title), link: `${ctx.baseUrl}/` },
    updated: documentUpdated(doc),
    generator: 'Tributary',
    feed: selfUrl(doc, ctx, format),
    feedLinks: { json: selfUrl(doc, ctx, 'json') },
    ...(language ? { language } : {}),
    ...(image ? { image } : {}),
    ...(ctx.stylesheet && format !== 'json' ? { stylesheet: ctx.stylesheet } : {}),
  });
}

/** The fields feed@6 takes alike for every format. Enclosures are each format's own business. */
export function commonFields(item: Item): FeedItem {
  const fields: FeedItem = {
    title: item.title,
    id: item.id,
    link: item.link,
    date: new Date(item.updated),
    published: new Date(item.published),
  };
  if (item.summary) fields.description = cdataSafe(xmlText(item.summary));
  if (item.content) fields.content = cdataSafe(xmlText(item.content));
  if (item.author && (item.author.name || item.author.email)) {
    fields.author = [{
      name: xmlText(item.author.name ?? item.author.email ?? ''),
      ...(item.author.email ? { email: xmlText(item.author.email) } : {}),
      ...(item.author.uri ? { link: item.author.uri } : {}),
    }];
  }
  return fields;
}

export function categoriesOf(item: Item, ctx: RenderContext): string[] {
  const tags = itemTags(item, ctx.tagsOf, ctx.ruleTags);
  return [...new Set([...tags, ...item.categories])].map((c) => xmlText(c).replace(/[<>"]/g, '')).filter(Boolean);
}

/** An enclosure's media type: the source's own, else the one type that claims nothing about the bytes. */
export function enclosureType(type: string | undefined): string {
  const bare = type?.split(';')[0]!.trim().toLowerCase();
  return bare && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(bare) ? bare : 'application/octet-stream';
}
