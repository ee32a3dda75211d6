import type { Author, Item, PlainText } from '../model.ts';
import type { RawItem } from '../parse/types.ts';
import { parseDate, parseRelativeDate } from './dates.ts';
import { titleFingerprint } from './fingerprint.ts';
import { MAX_TITLE } from './feed-title.ts';
import { cleanHtml } from './html.ts';
import { contentHash, sha1, tagUri } from './item-hashes.ts';
import { toPlainText } from './plain-text.ts';
import { canonicalUrl, resolveUrl, TRACKING_PARAMS, withoutTrackingParams, type TrackingParams } from './urls.ts';

export interface NormalizeContext {
  sourceId: string;
  /** URL the feed was fetched from, base for relative links */
  feedUrl: string;
  /** the feed's own home page (channel link), fallback link for items without one */
  feedLink?: string;
  timezone: string;
  /** the fetch time */
  now: Date;
  /** authority of tag: ids, e.g. the service's host name */
  idAuthority: string;
  /** query parameters dropped from canonical links (config dedupe.trackingParams) */
  trackingParams?: TrackingParams;
  /** told of a date zone the reader does not know (the date is read in `timezone`) */
  onUnknownZone?: (zone: string) => void;
}

const FUTURE_TOLERANCE_MS = 24 * 3600 * 1000;

/** RawItem to a complete, safe Item. Pure: the same input and context give the same Item. */
export function normalizeItem(raw: RawItem, ctx: NormalizeContext): Item {
  // XML Base (RFC 4287 §2) where the feed declares one, else the feed's URL, for URLs of the feed's own markup.
  const base = raw.base ?? ctx.feedUrl;
  const link = resolveUrl(raw.link, raw.linkBase ?? base) // A permalink guid counts only when it is already absolute: "10380002" resolved against the feed URL is a 404.
    ?? resolveUrl(raw.guidIsPermaLink ? raw.guid : undefined, undefined);
  const canonicalLink = link ? canonicalUrl(link, ctx.trackingParams ?? TRACKING_PARAMS) : undefined;
  // Item HTML is usually copied from the article page, so without xml:base its relative URLs are the page's.
  const htmlBase = raw.base ?? link ?? ctx.feedUrl;
  const summary = cleanHtml(raw.summary, raw.summaryBase ?? htmlBase);
  const content = cleanHtml(raw.content, raw.contentBase ?? htmlBase);
  const title = toPlainText(raw.title ?? '', raw.titleIsHtml ? 'html' : 'text', MAX_TITLE)
    || toPlainText(summary ?? content ?? '', 'html', 80) || toPlainText('(untitled)', 'plain');

  const nowIso = ctx.now.toISOString();
  const dateCtx = { timezone: ctx.timezone, ...(ctx.onUnknownZone ? { onUnknownZone: ctx.onUnknownZone } : {}) };
  const absolute = parseDate(raw.published, dateCtx) ?? parseDate(raw.updated, dateCtx);
  // "3分钟前" means something only at the fetch time; such an item keeps the date of its first reading (merge).
  const relative = absolute ? undefined : parseRelativeDate(raw.published ?? raw.updated, { ...dateCtx, now: ctx.now });
  const published = sane(absolute ?? relative, ctx.now);
  const updated = sane(parseDate(raw.updated, dateCtx), ctx.now);
  const publishedIso = (published ?? ctx.now).toISOString();
  const updatedIso = updated && updated.getTime() > Date.parse(publishedIso) ? updated.toISOString() : publishedIso;

  const key = itemKey(raw, canonicalLink, title, published, ctx.trackingParams ?? TRACKING_PARAMS);
  const item: Item = {
    id: itemId(raw, key, ctx),
    sourceId: ctx.sourceId,
    key,
    title,
    link: link ?? homePageOf(ctx),
    published: publishedIso,
    updated: updatedIso,
    firstSeen: nowIso,
    categories: [...new Set(raw.categories.map((c) => toPlainText(c, 'text')).filter(Boolean))],
    enclosures: raw.enclosures.flatMap((e) => {
      const url = resolveUrl(e.url, base);
      return url ? [{ ...e, url }] : [];
    }),
    alsoIn: [],
    hash: '',
  };
  if (canonicalLink) item.canonicalLink = canonicalLink;
  // A title made up from the summary identifies nothing across sources.
  const fingerprint = raw.title ? titleFingerprint(title) : undefined;
  if (fingerprint) item.fingerprint = fingerprint;
  if (!published) item.undated = true;
  else if (relative) item.relativeDate = true;
  if (summary && summary !== content) item.summary = summary;
  if (content) item.content = content;
  const author = authorOf(raw, base);
  if (author) item.author = author;
  const language = languageTag(raw.language);
  if (language) item.language = language;
  item.hash = contentHash(item);
  return item;
}

/**
 * Where an item without a link points: the feed's home page, else its site's root. Never the feed URL itself: a
 * reader opening it gets XML, not the story (some channels name their own feed as their link).
 */
function homePageOf(ctx: NormalizeContext): string {
  const home = resolveUrl(ctx.feedLink, ctx.feedUrl);
  return home && home !== new URL(ctx.feedUrl).href ? home : new URL('/', ctx.feedUrl).href;
}

function authorOf(raw: RawItem, base: string): Author | undefined {
  if (!raw.author) return undefined;
  const author: Author = {};
  const name = toPlainText(raw.author.name ?? '', 'text', 200);
  if (name) author.name = name;
  const email = raw.author.email?.trim().replace(/^mailto:/i, '');
  if (email && /^[^\s@<>()]+@[^\s@<>()]+$/.test(email)) author.email = email;
  const uri = resolveUrl(raw.author.uri, base);
  if (uri) author.uri = uri;
  return author.name || author.email || author.uri ? author : undefined;
}

/** A BCP 47 tag in canonical case ("zh_cn" → "zh-CN"), or undefined for what is not one. */
function languageTag(value: string | undefined): string | undefined {
  const tag = value?.trim().replace(/_/g, '-');
  if (!tag) return undefined;
  try {
    return Intl.getCanonicalLocales(tag)[0];
  } catch {
    return undefined;
  }
}

/** Dedupe key within a source: guid, else canonical link, else title and date. */
function itemKey(raw: RawItem, canonicalLink: string | undefined, title: string, published: Date | undefined, isTracking: TrackingParams): string {
  // A guid that is a URL loses its tracking parameters: some CMSs put utm_source in the guid and vary it.
  if (raw.guid) return `g:${withoutTrackingParams(raw.guid.trim(), isTracking)}`;
  if (canonicalLink) return `l:${canonicalLink}`;
  return `h:${sha1(`${title}\n${published?.toISOString() ?? ''}`).slice(0, 20)}`;
}

/**
 * The source's guid when it is already a permanent absolute IRI, else a tag: URI (RFC 4151). An id is an opaque
 * string (RFC 4287 §4.2.6.1): it is kept exactly as given, trimmed; "http://www.EXAMPLE.org/x" stays so (links are
 * normalized, ids never). Only a URL with characters an IRI may not hold ({, |, ^, …) gets the WHATWG form, escaped.
 * Items stored under the normalized ids of earlier versions keep them: dedupe finds an item by its key, which
 * never held the normalized form, and an update keeps the stored id (dedupe/merge.ts).
 */
function itemId(raw: RawItem, key: string, ctx: NormalizeContext): string {
  const guid = raw.guid?.trim();
  if (guid && /^(https?:\/\/[^\s<>"]+|urn:[a-z0-9][a-z0-9-]{0,31}:[^\s<>"]+|tag:[^\s<>"]+)$/i.test(guid)) {
    if (!/^https?:/i.test(guid)) return guid;
    if (URL.canParse(guid)) return /[{}|\\^`]/.test(guid) ? new URL(guid).href : guid;
  }
  return tagUri(ctx, key);
}

/** Drops dates more than a day in the future: the item gets its first-seen time instead. */
function sane(date: Date | undefined, now: Date): Date | undefined {
  if (!date) return undefined;
  return date.getTime() > now.getTime() + FUTURE_TOLERANCE_MS ? undefined : date;
}
