// Atom 1.0 (RFC 4287) through feed@6, with what feed@6 cannot write inserted into its output: RFC 5005
// paging links, several hubs, xml:lang, each entry's <source>, and enclosures with their real media type
// (feed@6 derives "image/<file extension>" from the URL, so an MP3 would be announced as image/mp3).
import { js2xml } from 'xml-js';
import type { Item } from '../model.ts';
import { FeedRenderError } from './errors.ts';
import {
  baseFeed, canonicalLanguage, categoriesOf, commonFields, enclosureType, feedLanguage, feedUrl,
  type FeedDocument, type RenderContext,
} from './feed-document.ts';
import { attr, cdataSafe, escapeAttr, escapeText, xmlText } from './xml-text.ts';

const ROOT = '<feed xmlns="http://www.w3.org/2005/Atom">';

export function renderAtom(doc: FeedDocument, ctx: RenderContext): string {
  const feed = baseFeed(doc, ctx, 'atom');
  for (const item of doc.items) {
    feed.addItem({
      ...commonFields(item),
      ...textualContent(item, ctx),
      // Atom title type="html": the text must be escaped once more to read as text.
      title: cdataSafe(escapeText(xmlText(item.title))),
      category: categoriesOf(item, ctx).map((term) => ({ term, name: term })),
    });
  }
  const language = feedLanguage(doc, ctx);
  let xml = withEntryExtras(feed.atom1(), doc.items, ctx, language);
  xml = withFeedLinks(xml, feedLinks(doc, ctx), doc.spec.path);
  return language ? xml.replace(ROOT, `${ROOT.slice(0, -1)} xml:lang="${language}">`) : xml;
}

/**
 * An entry with neither summary nor content gets its title as summary (or, failing that, its source's name):
 * RFC 4287 §4.1.2 wants an alternate link or content, and validators warn of an entry with no text
 * (MissingTextualContent). Atom only: RSS and JSON Feed have no such rule, and a reader would see the title twice.
 */
function textualContent(item: Item, ctx: RenderContext): { description?: string } {
  if (item.summary || item.content) return {};
  const text = item.title || ctx.sources.get(item.sourceId)?.title;
  return text ? { description: cdataSafe(escapeText(xmlText(text))) } : {};
}

function feedLinks(doc: FeedDocument, ctx: RenderContext): string[] {
  const base = feedUrl(ctx.baseUrl, doc.spec.path, 'atom');
  const link = (rel: string, href: string) => `<link rel="${rel}" href="${escapeAttr(href)}"/>`;
  const links = ctx.hubs.map((hub) => link('hub', hub));
  const paging = doc.paging;
  if (paging) {
    links.push(link('first', base + paging.first));
    if (paging.previous !== undefined) links.push(link('previous', base + paging.previous));
    if (paging.next !== undefined) links.push(link('next', base + paging.next));
    links.push(link('last', base + paging.last));
  }
  return links;
}

/** Inserted after the feed's rel="self" link, the first one in the document (entries come later). */
function withFeedLinks(xml: string, links: string[], path: string): string {
  if (links.length === 0) return xml;
  const self = /<link rel="self" href="[^"]*"\/>/.exec(xml);
  if (!self) throw new FeedRenderError(path, 'feed@6 wrote no rel="self" link');
  const at = self.index + self[0].length;
  return `${xml.slice(0, at)}${links.map((l) => `\n    ${l}`).join('')}${xml.slice(at)}`;
}

/** Enclosures and <source> go after each entry's <id>, found in entry order. */
function withEntryExtras(xml: string, items: Item[], ctx: RenderContext, feedLanguage: string | undefined): string {
  let out = '';
  let cursor = 0;
  for (const item of items) {
    const marker = `<id>${escapeText(new URL(item.id).href)}</id>`;
    const at = xml.indexOf(marker, cursor);
    if (at < 0) continue;
    const extras = [...item.enclosures.map(enclosureLink), ...sourceElement(item, ctx)];
    // An entry whose language differs from the feed's (or when the feed has none) says its own.
    const language = canonicalLanguage(item.language);
    const ownLanguage = language && language !== feedLanguage ? language : undefined;
    if (extras.length === 0 && !ownLanguage) continue;
    const end = at + marker.length;
    let segment = xml.slice(cursor, end);
    const open = segment.lastIndexOf('<entry>');
    if (ownLanguage && open >= 0) segment = `${segment.slice(0, open)}<entry xml:lang="${escapeAttr(ownLanguage)}">${segment.slice(open + '<entry>'.length)}`;
    out += segment + extras.map((e) => `\n        ${e}`).join('');
    cursor = end;
  }
  return out + xml.slice(cursor);
}

function enclosureLink(enclosure: Item['enclosures'][number]): string {
  const length = enclosure.length && enclosure.length > 0 ? ` length="${Math.floor(enclosure.length)}"` : '';
  return `<link rel="enclosure" href="${escapeAttr(enclosure.url)}" type="${escapeAttr(enclosureType(enclosure.type))}"${length}/>`;
}

function sourceElement(item: Item, ctx: RenderContext): string[] {
  const source = ctx.sources.get(item.sourceId);
  if (!source) return [];
  const links: object[] = [{ _attributes: { rel: 'self', href: attr(source.url) } }];
  if (source.link) links.push({ _attributes: { rel: 'alternate', href: attr(source.link) } });
  // RFC 4287 §4.2.11: a source SHOULD carry its feed's updated; the entry's own is the latest we can vouch for.
  return [js2xml({ source: { id: source.url, title: xmlText(source.title), updated: item.updated, link: links } }, { compact: true })];
}
