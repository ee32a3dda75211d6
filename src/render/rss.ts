// RSS 2.0 through feed@6. feed@6 lets an extension replace any element it writes, which is how the guid
// gets an honest isPermaLink, the enclosure its real type and length, and the channel its atom:link list.
import type { Item as FeedItem } from 'feed';

type Extension = NonNullable<FeedItem['extensions']>[number];
import type { Item } from '../model.ts';
import {
  baseFeed, categoriesOf, commonFields, enclosureType, feedUrl, selfUrl,
  type FeedDocument, type RenderContext,
} from './feed-document.ts';
import { attr, cdataSafe, htmlText, xmlText } from './xml-text.ts';

export function renderRss(doc: FeedDocument, ctx: RenderContext): string {
  const feed = baseFeed(doc, ctx, 'rss');
  // xml-js writes an array as repeated elements; feed@6's type says an object only.
  feed.addExtension({ name: 'atom:link', objects: channelLinks(doc, ctx) as unknown as Record<string, unknown> });
  for (const item of doc.items) {
    const fields = commonFields(item);
    // Every text element goes out as htmlText: readers render some of them as HTML.
    const author = fields.author?.[0];
    if (author && item.author?.name) author.name = xmlText(htmlText(item.author.name));
    const extensions: Extension[] = [guid(item)];
    const enclosure = item.enclosures[0];
    // RSS allows one enclosure per item; validators warn on more. Atom and JSON Feed carry them all.
    if (enclosure) {
      extensions.push({ name: 'enclosure', objects: { _attributes: {
        url: attr(enclosure.url), length: String(Math.max(0, Math.floor(enclosure.length ?? 0))), type: attr(enclosureType(enclosure.type)),
      } } });
    }
    const source = ctx.sources.get(item.sourceId);
    if (source) extensions.push({ name: 'source', objects: { _attributes: { url: attr(source.url) }, _text: xmlText(htmlText(source.title)) } });
    // RSS <author> must be an e-mail address; a bare name goes to dc:creator instead.
    if (item.author?.name && !item.author.email) {
      extensions.push({ name: 'dc:creator', objects: { _text: xmlText(htmlText(item.author.name)) } });
      delete fields.author;
    }
    // Readers that know only <description> must find the text there, and validators want a description
    // before content:encoded: a content-only item puts its content in <description>.
    if (!fields.description && fields.content) {
      fields.description = fields.content;
      delete fields.content;
    }
    feed.addItem({
      ...fields,
      title: cdataSafe(xmlText(htmlText(item.title))),
      category: categoriesOf(item, ctx).map((name) => ({ name: htmlText(name) })),
      extensions,
    });
  }
  return withNamespaces(feed.rss2());
}

/** isPermaLink="true" promises that the guid is the item's URL; only then is it said. */
function guid(item: Item): Extension {
  const isPermaLink = /^https?:\/\//.test(item.id) && item.id === item.link;
  return { name: 'guid', objects: { _attributes: { isPermaLink: String(isPermaLink) }, _text: item.id } };
}

function channelLinks(doc: FeedDocument, ctx: RenderContext): object[] {
  const base = feedUrl(ctx.baseUrl, doc.spec.path, 'rss');
  const link = (rel: string, href: string, type?: string) => ({ _attributes: { href: attr(href), rel, ...(type ? { type } : {}) } });
  const links = [link('self', selfUrl(doc, ctx, 'rss'), 'application/rss+xml'), ...ctx.hubs.map((hub) => link('hub', hub))];
  const paging = doc.paging;
  if (paging) {
    links.push(link('first', base + paging.first));
    if (paging.previous !== undefined) links.push(link('previous', base + paging.previous));
    if (paging.next !== undefined) links.push(link('next', base + paging.next));
    links.push(link('last', base + paging.last));
  }
  return links;
}

/** feed@6 declares xmlns:dc only when some item has content:encoded. */
function withNamespaces(xml: string): string {
  if (xml.includes('<dc:creator>') && !xml.includes('xmlns:dc=')) {
    return xml.replace('<rss version="2.0"', '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"');
  }
  return xml;
}
