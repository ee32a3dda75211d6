import { createHash } from 'node:crypto';
import { gzipSync, brotliCompressSync, constants as zlib } from 'node:zlib';
import { Feed, type Item as FeedItem } from 'feed';
import { js2xml } from 'xml-js';
import type { Item } from '../model.ts';
import { itemTags, type FeedSpec } from './feed-specs.ts';

export type FeedFormat = 'atom' | 'rss' | 'json';

export const CONTENT_TYPES: Record<FeedFormat, string> = {
  atom: 'application/atom+xml; charset=utf-8',
  rss: 'application/rss+xml; charset=utf-8',
  json: 'application/feed+json; charset=utf-8',
};

/** A feed ready to serve: bytes, precompressed variants and validators, computed once per render. */
export interface RenderedFeed {
  body: Buffer;
  gzip: Buffer;
  brotli: Buffer;
  etag: string;
  lastModified: string;
  contentType: string;
}

export interface SourceInfo {
  title: string;
  /** the source feed's URL */
  url: string;
  /** the source's home page, when its feed names one */
  link?: string;
}

export interface RenderContext {
  baseUrl: string;
  sources: Map<string, SourceInfo>;
  tagsOf: Map<string, string[]>;
}

/** Renders one feed in the three formats. Pure: the same spec and context give the same bytes. */
export function renderFeed(spec: FeedSpec, ctx: RenderContext): Record<FeedFormat, RenderedFeed> {
  const updated = newestUpdate(spec.items);
  return {
    atom: finish(renderAtom(spec, ctx, updated), 'atom', updated),
    rss: finish(renderRss(spec, ctx, updated), 'rss', updated),
    json: finish(renderJson(spec, ctx, updated), 'json', updated),
  };
}

export function feedUrl(baseUrl: string, path: string, format: FeedFormat): string {
  return `${baseUrl}/feeds/${path.split('/').map(encodeURIComponent).join('/')}.${format}`;
}

function baseFeed(spec: FeedSpec, ctx: RenderContext, updated: Date, format: FeedFormat): Feed {
  return new Feed({
    id: feedUrl(ctx.baseUrl, spec.path, 'atom'),
    title: xmlText(spec.title),
    description: xmlText(spec.description),
    link: `${ctx.baseUrl}/`,
    // Atom needs an author on the feed unless every entry has one; the aggregator itself signs the feed.
    author: { name: xmlText(spec.title), link: `${ctx.baseUrl}/` },
    updated,
    generator: 'Tributary',
    feed: feedUrl(ctx.baseUrl, spec.path, format),
    feedLinks: {
      atom: feedUrl(ctx.baseUrl, spec.path, 'atom'),
      rss: feedUrl(ctx.baseUrl, spec.path, 'rss'),
      json: feedUrl(ctx.baseUrl, spec.path, 'json'),
    },
  });
}

function renderAtom(spec: FeedSpec, ctx: RenderContext, updated: Date): string {
  const feed = baseFeed(spec, ctx, updated, 'atom');
  for (const item of spec.items) {
    feed.addItem({
      ...commonFields(item, ctx),
      // Atom title type="html": the text must be escaped once more to read as text.
      title: cdataSafe(escapeHtml(xmlText(item.title))),
      category: categoriesOf(item, ctx).map((term) => ({ term, name: term })),
    });
  }
  return withAtomEntryExtras(feed.atom1(), spec.items, ctx);
}

function renderRss(spec: FeedSpec, ctx: RenderContext, updated: Date): string {
  const feed = baseFeed(spec, ctx, updated, 'rss');
  for (const item of spec.items) {
    const source = ctx.sources.get(item.sourceId);
    const fields = commonFields(item, ctx);
    const extensions: FeedItem['extensions'] = [];
    if (source) extensions.push({ name: 'source', objects: { _attributes: { url: attr(source.url) }, _text: xmlText(source.title) } });
    // RSS <author> must be an e-mail address; a bare name goes to dc:creator instead.
    if (item.author?.name && !item.author.email) {
      extensions.push({ name: 'dc:creator', objects: { _text: xmlText(item.author.name) } });
      delete fields.author;
    }
    // RSS has one enclosure per item; Atom and JSON Feed carry them all.
    const enclosure = item.enclosures[0];
    if (enclosure) fields.enclosure = { url: enclosure.url, ...(enclosure.type ? { type: attr(enclosure.type) } : {}), length: enclosure.length ?? 0 };
    feed.addItem({
      ...fields,
      title: cdataSafe(xmlText(item.title)),
      guid: item.id,
      category: categoriesOf(item, ctx).map((name) => ({ name })),
      extensions,
    });
  }
  return withRssNamespaces(feed.rss2());
}

function renderJson(spec: FeedSpec, ctx: RenderContext, updated: Date): string {
  const feed = baseFeed(spec, ctx, updated, 'json');
  for (const item of spec.items) {
    const source = ctx.sources.get(item.sourceId);
    feed.addItem({
      ...commonFields(item, ctx),
      title: item.title,
      category: categoriesOf(item, ctx).map((name) => ({ name })),
      extensions: source ? [{ name: '_source', objects: { title: source.title, feed_url: source.url, ...(source.link ? { home_page_url: source.link } : {}) } }] : [],
    });
  }
  // feed@6 writes JSON Feed 1.0 without attachments; 1.1 renames author to authors and adds language.
  const doc = JSON.parse(feed.json1()) as { version: string; items: Record<string, unknown>[]; [k: string]: unknown };
  doc.version = 'https://jsonfeed.org/version/1.1';
  doc.items = doc.items.map(({ author, ...rest }, i) => jsonItemExtras(rest, author as Record<string, string> | undefined, spec.items[i]!));
  if (doc.author) {
    doc.authors = [doc.author];
    delete doc.author;
  }
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function commonFields(item: Item, ctx: RenderContext): FeedItem {
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
  void ctx;
  return fields;
}

function jsonItemExtras(rendered: Record<string, unknown>, author: Record<string, string> | undefined, item: Item): Record<string, unknown> {
  const out = { ...rendered };
  // JSON Feed 1.1 requires content_html or content_text; a title-only story (a web page's list, a headline
  // feed) has neither, and an empty text says so without repeating the title.
  if (out.content_html === undefined && out.content_text === undefined) out.content_text = '';
  // JSON Feed authors have no e-mail field; the spec allows a mailto: url for it.
  if (author) out.authors = [!author.url && item.author?.email ? { ...author, url: `mailto:${item.author.email}` } : author];
  if (item.language) out.language = item.language;
  if (item.enclosures.length > 0) {
    out.attachments = item.enclosures.map((e) => ({
      url: e.url,
      // mime_type is required in attachments
      mime_type: e.type ?? 'application/octet-stream',
      ...(e.length ? { size_in_bytes: e.length } : {}),
    }));
  }
  return out;
}

function categoriesOf(item: Item, ctx: RenderContext): string[] {
  const tags = itemTags(item, ctx.tagsOf);
  return [...new Set([...tags, ...item.categories])].map((c) => xmlText(c).replace(/[<>"]/g, '')).filter(Boolean);
}

/**
 * What feed@6 lacks in Atom entries: <source>, xml:lang, and enclosure links with their real types (it types
 * every enclosure image/<extension>). Each entry is found, in entry order, by its <id>.
 */
function withAtomEntryExtras(xml: string, items: Item[], ctx: RenderContext): string {
  let out = '';
  let cursor = 0;
  for (const item of items) {
    const marker = `<id>${escapeXml(new URL(item.id).href)}</id>`;
    const at = xml.indexOf(marker, cursor);
    const open = xml.lastIndexOf('<entry>', at);
    if (at < 0 || open < cursor) continue;
    const end = at + marker.length;
    const elements: string[] = [];
    const source = ctx.sources.get(item.sourceId);
    if (source) {
      const links: object[] = [{ _attributes: { rel: 'self', href: attr(source.url) } }];
      if (source.link) links.push({ _attributes: { rel: 'alternate', href: attr(source.link) } });
      elements.push(js2xml({ source: { id: source.url, title: xmlText(source.title), link: links } }, { compact: true }));
    }
    for (const e of item.enclosures) {
      const attributes = { rel: 'enclosure', href: attr(e.url), ...(e.type ? { type: attr(e.type) } : {}), ...(e.length ? { length: e.length } : {}) };
      elements.push(js2xml({ link: { _attributes: attributes } }, { compact: true }));
    }
    const entryTag = item.language ? `<entry xml:lang="${attr(item.language).replace(/"/g, '')}">` : '<entry>';
    out += `${xml.slice(cursor, open)}${entryTag}${xml.slice(open + '<entry>'.length, end)}${elements.map((e) => `\n        ${e}`).join('')}`;
    cursor = end;
  }
  return out + xml.slice(cursor);
}

function withRssNamespaces(xml: string): string {
  if (xml.includes('<dc:creator>') && !xml.includes('xmlns:dc=')) {
    return xml.replace('<rss version="2.0"', '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"');
  }
  return xml;
}

/**
 * Brotli quality 5: on feed-sized documents it compresses within 1 % of quality 9 at a tenth of the time, and
 * every feed of a thousand-source site is compressed after each change (gzip's default level likewise matches 9).
 */
export const BROTLI_OPTIONS = (size: number) => ({ params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: size } });

function finish(text: string, format: FeedFormat, updated: Date): RenderedFeed {
  const body = Buffer.from(text, 'utf8');
  return {
    body,
    gzip: gzipSync(body),
    brotli: brotliCompressSync(body, BROTLI_OPTIONS(body.length)),
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`,
    lastModified: updated.toUTCString(),
    contentType: CONTENT_TYPES[format],
  };
}

/** The feed's updated time is its newest item's, never the render time, so unchanged input gives unchanged bytes. */
function newestUpdate(items: Item[]): Date {
  let newest = '1970-01-01T00:00:00.000Z';
  for (const item of items) if (item.updated > newest) newest = item.updated;
  return new Date(newest);
}

// XML 1.0 cannot carry these at all, not even as references.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function xmlText(text: string): string {
  return text.replace(NOT_XML, '');
}

/** xml-js splits only the first "]]>" of a CDATA section; HTML reads "]]&gt;" the same. */
function cdataSafe(text: string): string {
  return text.replaceAll(']]>', ']]&gt;');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** xml-js escapes quotes in attributes but not "&". */
function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
