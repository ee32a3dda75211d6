import Parser from 'rss-parser';
import { atomAuthor, atomEntry, textConstruct, type TextValue } from './atom-entry.ts';
import { FeedParseError, NotAFeedError, UnexpectedShapeError, XmlLimitError } from './errors.ts';
import { parseJsonFeed } from './json-feed.ts';
import { prepareXml } from './prepare-xml.ts';
import { rssItem } from './rss-item.ts';
import type { ParsedFeed, RawItem } from './types.ts';
import { DEFAULT_XML_LIMITS, scanXml, startClock, type XmlLimits, type XmlScan } from './xml-scan.ts';
import { attrOf, baseInside, childOf, childText, childrenOf, isNode, textOf, type XmlNode } from './xml-node.ts';
import { withItems } from './rss-shape.ts';

export interface ParseOptions {
  /** URL the document was read from: what relative xml:base values resolve against */
  documentUrl?: string;
  limits?: Partial<XmlLimits>;
}

type Loose = Record<string, any>;
type Internals = Record<'buildAtomFeed' | 'buildRSS2' | 'buildRSS0_9' | 'buildRSS1', (xml: Loose) => Loose>;
const base = Parser.prototype as unknown as Internals;

/**
 * rss-parser finds the format (RSS 0.9x, 1.0, 2.0, Atom) and reads the feed-level fields; items are mapped by
 * atom-entry.ts and rss-item.ts from the raw xml2js nodes instead, because rss-parser's own item mapping drops
 * guid isPermaLink, xml:base, xml:lang, Atom enclosure links and all enclosures but one, reorders XHTML, and runs
 * snippet regexes whose time is quadratic in hostile input. Each build keeps the root it came from.
 */
class FeedReader extends Parser<Loose, Loose> {
  parseItemRss(node: XmlNode): Loose {
    return { node };
  }

  parseItemAtom(node: XmlNode): Loose {
    return { node };
  }

  buildAtomFeed(xml: Loose): Loose {
    // rss-parser reads link.$.rel of every feed <link>; a text-only <link>URL</link> would throw.
    if (Array.isArray(xml.feed?.link)) xml.feed.link = xml.feed.link.filter((l: unknown) => isNode(l) && l.$);
    return { ...base.buildAtomFeed.call(this, xml), format: 'atom', root: xml.feed };
  }

  // rss-parser reads <rss><channel><item> and <rdf:RDF><item> only, and throws a TypeError on a document without
  // a <channel>; withItems (rss-shape.ts) gives it a channel and the items where readers also find them.
  buildRSS2(xml: Loose): Loose {
    const shape = withItems(xml.rss, 'rss');
    return { ...base.buildRSS2.call(this, { rss: shape.root }), format: 'rss', ...shape };
  }

  buildRSS0_9(xml: Loose): Loose {
    const shape = withItems(xml.rss, 'rss');
    return { ...base.buildRSS0_9.call(this, { rss: shape.root }), format: 'rss', ...shape };
  }

  buildRSS1(xml: Loose): Loose {
    const shape = withItems(xml['rdf:RDF'], 'rdf');
    return { ...base.buildRSS1.call(this, { 'rdf:RDF': shape.root }), format: 'rdf', ...shape };
  }
}

/**
 * A reader for one document. Not shared: an xml2js parser that threw mid-document (the time budget) is left
 * in a state that breaks the next document it reads. xml2js calls tagNameProcessors on every element, which is
 * where the clock is read; defaultRSS reads an <rss> without a version attribute as RSS 2.0, as readers do.
 */
function readerFor(tick: () => void): FeedReader {
  return new FeedReader({ defaultRSS: 2, xml2js: { tagNameProcessors: [(name: string) => (tick(), name)] } });
}

/**
 * Text of a feed document (RSS 0.91/0.92/2.0, RSS 1.0, Atom 0.3/1.0, JSON Feed 1.0/1.1) to a ParsedFeed.
 * Throws FeedParseError (XmlEntityError, XmlLimitError for hostile XML) with what the body looked like, and
 * only FeedParseError: an exception of the reader itself becomes UnexpectedShapeError, never a raw TypeError.
 */
export async function parseFeed(text: string, options: ParseOptions = {}): Promise<ParsedFeed> {
  try {
    return await readFeed(text, options);
  } catch (err) {
    if (err instanceof FeedParseError) throw err;
    throw new UnexpectedShapeError(rootName(text), err);
  }
}

async function readFeed(text: string, options: ParseOptions): Promise<ParsedFeed> {
  const head = text.slice(0, 1024).replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('{') || head.startsWith('[')) return parseJsonFeed(text);
  if (!head.startsWith('<')) throw new NotAFeedError('text', `not a feed: the body starts with ${JSON.stringify(head.slice(0, 40))}`);
  if (looksLikeHtml(head)) throw new NotAFeedError('html', 'not a feed: the body is an HTML page');
  let xml = prepareXml(text);
  // One time budget for every pass over the document: the sax scans and xml2js inside rss-parser.
  const clock = startClock({ ...DEFAULT_XML_LIMITS, ...options.limits });
  let scan = scanXml(xml, { ...options, tick: clock });
  const cut = scan.cut;
  if (cut) {
    // A document cut off at its end is read up to its last complete item, closed as it would have been.
    xml = xml.slice(0, cut.end) + cut.open.map((name) => `</${name}>`).reverse().join('');
    scan = scanXml(xml, { ...options, tick: clock });
  }
  let output: Loose;
  try {
    output = await readerFor(clock).parseString(xml);
  } catch (err) {
    if (err instanceof XmlLimitError) throw err;
    // A page that opens with something else (a BOM-less XHTML prolog, a <head>) is still a page.
    if (/<html[\s>]/i.test(text.slice(0, 4096))) throw new NotAFeedError('html', 'not a feed: the body is an HTML page');
    // The sax scan passed, so xml2js (the same tokenizer) has nothing to object to: anything but rss-parser's
    // own "Feed not recognized" is the reader failing on the shape of the tree.
    if (err instanceof Error && err.constructor !== Error) throw err;
    throw new FeedParseError(`unparsable XML: ${firstLine((err as Error).message)}`, { cause: err });
  }
  const feed = output.format === 'atom' ? atomFeed(output, scan, options) : rssFeed(output, scan, options);
  if (cut) {
    const kept = feed.items.length === 1 ? 'the 1 complete item' : `the ${feed.items.length} complete items`;
    feed.warnings = [`the document is cut off before its end (${cut.reason}); read ${kept} before the cut`];
  }
  return feed;
}

function atomFeed(output: Loose, scan: XmlScan, options: ParseOptions): ParsedFeed {
  const root = output.root as XmlNode;
  const context = {
    ...optional('documentUrl', options.documentUrl),
    ...optional('base', baseInside(root, undefined, options.documentUrl)),
    ...optional('language', attrOf(root, 'xml:lang')?.trim() || undefined),
    ...optional('author', atomAuthor(childOf(root, 'author'))),
  };
  const items = (output.items as Loose[]).map((item, i) => atomEntry(item.node, scan.items[i] ?? {}, context));
  // A feed's title is a text construct like an entry's: rss-parser reads type="xhtml" as no title and base64 as its code.
  return feedOf('atom', output, context, items, textConstruct(childOf(root, 'title'), scan.feed.title));
}

function rssFeed(output: Loose, scan: XmlScan, options: ParseOptions): ParsedFeed {
  const root = output.root as XmlNode;
  const channel = output.channel as XmlNode;
  const outer = baseInside(root, undefined, options.documentUrl);
  const language = childText(channel, 'language', 'dc:language') ?? (attrOf(channel, 'xml:lang') || attrOf(root, 'xml:lang'))?.trim();
  const context = {
    ...optional('documentUrl', options.documentUrl),
    ...optional('base', baseInside(channel, outer, options.documentUrl)),
    ...optional('language', language || undefined),
  };
  const markup = output.loose ? scan.looseItems : scan.items;
  const items = (output.items as Loose[]).map((item, i) => rssItem(item.node, markup[i] ?? {}, context));
  // Elements inside the channel's <title> are HTML pasted in unescaped; entities alone are the usual RSS text.
  const titleMarkup = scan.feed.title;
  const title = titleMarkup !== undefined ? { value: titleMarkup, isHtml: true } : optionalText(textOf(childOf(channel, 'title')));
  return feedOf(output.format, output, context, items, title);
}

function feedOf(
  format: ParsedFeed['format'], output: Loose, context: { base?: string; documentUrl?: string; language?: string }, items: RawItem[],
  title: TextValue | undefined,
): ParsedFeed {
  // Feed-level links resolve against xml:base when there is one, else the URL the document came from.
  const base = context.base ?? context.documentUrl;
  const found = output.format === 'atom' ? output.link : childrenOf(output.channel, 'link').map((l) => textOf(l)?.trim()).find(Boolean);
  const absolute = (href: unknown) => {
    if (typeof href !== 'string' || !href.trim()) return undefined;
    if (!base) return href.trim();
    return URL.canParse(href.trim(), base) ? new URL(href.trim(), base).href : undefined;
  };
  // The feed's own address: Atom <link rel="self">, or <atom:link rel="self"> in an RSS channel.
  const selfLinks = output.format === 'atom' ? childrenOf(output.root, 'link') : childrenOf(output.channel, 'atom:link');
  const self = absolute(attrOf(selfLinks.find((l) => attrOf(l, 'rel') === 'self'), 'href'));
  const image = absolute(output.format === 'atom' ? childText(output.root, 'logo', 'icon') : childText(childOf(output.channel, 'image'), 'url'));
  return {
    format,
    ...optional('title', title?.value.trim() || undefined),
    ...(title?.isHtml && title.value.trim() ? { titleIsHtml: true } : {}),
    ...optional('link', absolute(found)),
    ...optional('selfUrl', self && URL.canParse(self) ? self : undefined),
    ...optional('language', context.language),
    ...optional('image', image && URL.canParse(image) ? image : undefined),
    ...freshnessOf(output.format === 'atom' ? output.root : output.channel),
    items,
  };
}

/** <ttl> and the syndication module's sy:updatePeriod/sy:updateFrequency, where the feed gives them. */
function freshnessOf(node: unknown): Pick<ParsedFeed, 'ttl' | 'updatePeriod' | 'updateFrequency'> {
  const number = (text: string | undefined) => (text && /^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);
  return {
    ...optional('ttl', number(childText(node, 'ttl'))),
    ...optional('updatePeriod', childText(node, 'sy:updatePeriod')?.trim() || undefined),
    ...optional('updateFrequency', number(childText(node, 'sy:updateFrequency'))),
  };
}

function optionalText(value: string | undefined): TextValue | undefined {
  return value === undefined ? undefined : { value, isHtml: false };
}

function looksLikeHtml(head: string): boolean {
  // An XHTML page starts with an XML declaration, then its doctype.
  return /^(?:<\?xml[^>]*\?>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!doctype html|<html[\s>])/i.test(head);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** The document's root element name, for an operator message; "?" when there is none to see. */
function rootName(text: string): string {
  return text.replace(/^\uFEFF/, '').match(/^\s*(?:<\?[^>]*\?>\s*|<!--[\s\S]*?-->\s*|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>\s*)*<([A-Za-z_][\w:.-]{0,40})/)?.[1] ?? '?';
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.slice(0, 200);
}
