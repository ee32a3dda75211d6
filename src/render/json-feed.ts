// JSON Feed 1.1. feed@6 writes 1.0; its output is read back and brought to 1.1: authors instead of author,
// language, hubs, next_url for paging, attachments with their media types.
import type { Item } from '../model.ts';
import {
  baseFeed, canonicalLanguage, categoriesOf, commonFields, enclosureType, feedLanguage, feedUrl,
  type FeedDocument, type RenderContext,
} from './feed-document.ts';
import { plainText } from './plain-text.ts';

type JsonObject = Record<string, unknown>;

export function renderJson(doc: FeedDocument, ctx: RenderContext): string {
  const feed = baseFeed(doc, ctx, 'json');
  for (const item of doc.items) {
    const source = ctx.sources.get(item.sourceId);
    feed.addItem({
      ...commonFields(item),
      title: item.title,
      category: categoriesOf(item, ctx).map((name) => ({ name })),
      extensions: source ? [{ name: '_source', objects: { title: source.title, feed_url: source.url, ...(source.link ? { home_page_url: source.link } : {}) } }] : [],
    });
  }
  const json = JSON.parse(feed.json1()) as JsonObject & { items: JsonObject[] };
  const out: JsonObject = { version: 'https://jsonfeed.org/version/1.1' };
  for (const [key, value] of Object.entries(json)) {
    if (key === 'version' || key === 'items') continue;
    if (key === 'author') out.authors = [value];
    else out[key] = value;
  }
  const language = feedLanguage(doc, ctx);
  if (language) out.language = language;
  if (doc.paging?.next !== undefined) out.next_url = feedUrl(ctx.baseUrl, doc.spec.path, 'json') + doc.paging.next;
  if (ctx.hubs.length > 0) out.hubs = ctx.hubs.map((url) => ({ type: 'WebSub', url }));
  out.items = json.items.map((entry, i) => item11(entry, doc.items[i]!));
  return `${JSON.stringify(out, null, 2)}\n`;
}

function item11({ author, ...entry }: JsonObject, item: Item): JsonObject {
  const out: JsonObject = { ...entry };
  // JSON Feed authors have no e-mail field; the spec allows a mailto: url for it.
  if (author) out.authors = [!(author as JsonObject).url && item.author?.email ? { ...(author as JsonObject), url: `mailto:${item.author.email}` } : author];
  // Every item needs content_html or content_text; an item with neither says so with empty text.
  if (out.content_html === undefined) out.content_text = '';
  // JSON Feed's summary is "a plain text sentence or two"; feed@6 passes our HTML summary through.
  if (typeof out.summary === 'string') out.summary = plainText(out.summary);
  const language = canonicalLanguage(item.language);
  if (language) out.language = language;
  if (item.enclosures.length > 0) {
    out.attachments = item.enclosures.map((e) => ({
      url: e.url, mime_type: enclosureType(e.type), ...(e.length && e.length > 0 ? { size_in_bytes: Math.floor(e.length) } : {}),
    }));
  }
  return out;
}
