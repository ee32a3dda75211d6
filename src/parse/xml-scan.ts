import sax from 'sax';
import { FeedParseError, XmlLimitError } from './errors.ts';
import { xmlBaseOf } from './xml-node.ts';

export interface XmlLimits {
  /** deepest element nesting accepted; real feeds stay under 30 levels, XHTML content included */
  maxDepth: number;
  /** budget for reading the document, in milliseconds: wall time, or CPU time with `cpuClock` */
  timeBudgetMs: number;
  /** milliseconds from any origin; passed in so tests can drive it */
  clock: () => number;
  /**
   * this thread's CPU time in ms (a read worker's: workers/thread-time.ts), when the budget counts it: consulted only
   * once `clock` says the budget has passed, since a thread cannot run longer than the wall time that went by
   */
  cpuClock?: () => number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 256, timeBudgetMs: 5000, clock: () => performance.now() };

/** HTML of an item's text elements that hold child elements (Atom xhtml, raw HTML pasted into RSS), by element name. */
export type ItemMarkup = Record<string, string>;

export interface XmlScan {
  /** per item (rss/channel/item, rdf:RDF/item or feed/entry), in document order: the order rss-parser lists them */
  items: ItemMarkup[];
  /**
   * per item where a lenient reader looks when the usual place holds none: <rss><item> with no <channel>, and
   * RDF items written inside the RDF <channel> instead of beside it
   */
  looseItems: ItemMarkup[];
  /** the feed's own <title> when it holds elements (Atom xhtml, HTML pasted into an RSS channel title) */
  feed: ItemMarkup;
  /** set when the document ends before its root element does (a cut-off download), and a complete item came first */
  cut?: XmlCut;
}

/** Where a cut-off document can be closed: after the last element that ended outside any item. */
export interface XmlCut {
  /** offset just after that element's end tag */
  end: number;
  /** the elements still open there, outermost first: what closing the document needs */
  open: string[];
  /** what the XML parser said at the end of the text, and where */
  reason: string;
}

/** Thrown inside sax's close() so that the end-of-text error can be told from an error in the middle. */
class EndedEarly extends Error {
  constructor(readonly error: FeedParseError) {
    super(error.message);
  }
}

const MARKUP_FIELDS = new Set(['title', 'summary', 'content', 'description', 'content:encoded']);
const CLOCK_EVERY = 512;

interface Open {
  name: string;
  base: string | undefined;
}

/**
 * One streaming pass (sax, the tokenizer xml2js itself runs on) before rss-parser builds its object tree:
 * rejects what no feed needs (nesting past maxDepth, reading past the time budget; XmlLimitError) and
 * syntax errors (FeedParseError), and keeps, in order, the markup of text elements that hold elements, which
 * xml2js would reorder (it gathers an element's text apart from its children).
 */
export function scanXml(xml: string, options: { documentUrl?: string; limits?: Partial<XmlLimits>; tick?: () => void } = {}): XmlScan {
  const limits = { ...DEFAULT_XML_LIMITS, ...options.limits };
  const tick = options.tick ?? startClock(limits);
  const parser = sax.parser(true, { trim: false, normalize: false, position: true });
  const stack: Open[] = [];
  const items: ItemMarkup[] = [];
  const looseItems: ItemMarkup[] = [];
  const feed: ItemMarkup = {};
  let itemDepth = 0;
  let channels = 0;
  let capture: { into: ItemMarkup; field: string; depth: number; writer: HtmlWriter } | undefined;
  let item: ItemMarkup | undefined;
  let ending = false;
  // The last point outside any item, with the items complete by then: where a cut-off document is closed.
  let safe: { end: number; open: string[]; complete: number } | undefined;

  parser.onopentag = (tag) => {
    tick();
    const attributes = tag.attributes as Record<string, string>;
    const parent = stack[stack.length - 1];
    const base = xmlBaseOf(attributes['xml:base'], parent?.base, options.documentUrl);
    stack.push({ name: tag.name, base });
    const depth = stack.length;
    if (depth > limits.maxDepth) throw new XmlLimitError('depth', limits.maxDepth, `line ${parser.line + 1}, element <${tag.name}>`);
    if (capture) {
      capture.writer.open(tag.name, attributes, base);
      return;
    }
    if (depth === 2 && (stack[0]!.name === 'rss' || stack[0]!.name === 'rdf:RDF') && tag.name === 'channel') channels++;
    const place = itemPlace(stack, channels);
    if (place) {
      item = {};
      (place === 'usual' ? items : looseItems).push(item);
      itemDepth = depth;
    } else if (itemDepth && item && depth === itemDepth + 1 && MARKUP_FIELDS.has(tag.name)) {
      capture = { into: item, field: tag.name, depth, writer: new HtmlWriter() };
    } else if (!itemDepth && tag.name === 'title' && isFeedHead(stack, channels)) {
      capture = { into: feed, field: tag.name, depth, writer: new HtmlWriter() };
    }
  };
  parser.onclosetag = (name) => {
    const depth = stack.length;
    stack.pop();
    if (capture && depth > capture.depth) capture.writer.close(name);
    else if (capture && depth === capture.depth) {
      const html = capture.writer.html();
      if (html !== undefined) capture.into[capture.field] ??= html;
      capture = undefined;
    } else if (depth === itemDepth) itemDepth = 0;
    if (!capture && !itemDepth) safe = { end: parser.position, open: stack.map((o) => o.name), complete: items.length + looseItems.length };
  };
  parser.ontext = parser.oncdata = (text) => {
    tick();
    capture?.writer.text(text);
  };
  parser.onerror = (err) => {
    const [what, line, column] = err.message.split('\n');
    const error = new FeedParseError(`unparsable XML: ${what} (${[line, column].filter(Boolean).join(', ').toLowerCase()})`, { cause: err });
    throw ending ? new EndedEarly(error) : error;
  };
  parser.write(xml);
  ending = true;
  try {
    parser.close();
  } catch (err) {
    if (!(err instanceof EndedEarly)) throw err;
    // Cut off at its end (an interrupted download, a CMS that died mid-write): what came complete is kept, as
    // readers do; with nothing complete there is nothing to keep.
    if (!safe?.complete) throw new FeedParseError(`${err.error.message}: the document is cut off before its first complete item`, { cause: err.error.cause });
    return { items, looseItems, feed, cut: { end: safe.end, open: safe.open, reason: err.error.message.replace(/^unparsable XML: /, '').toLowerCase() } };
  }
  return { items, looseItems, feed };
}

/**
 * A function to call on every element or text event: it looks at the clock every few hundred calls and throws
 * XmlLimitError once the budget is spent. One clock can span several passes over the same document.
 */
export function startClock(limits: XmlLimits): () => void {
  const budget = limits.timeBudgetMs;
  let deadline = limits.clock() + budget;
  const cpuStart = limits.cpuClock?.();
  let events = 0;
  return () => {
    if (++events % CLOCK_EVERY !== 0) return;
    const now = limits.clock();
    if (now <= deadline) return;
    if (cpuStart !== undefined) {
      // The wall time is spent; the budget is the CPU time: what is left of it moves the deadline on.
      const left = budget - (limits.cpuClock!() - cpuStart);
      if (left > 0) {
        deadline = now + left;
        return;
      }
    }
    throw new XmlLimitError('time', budget, `after ${events} XML events`);
  };
}

/** Whether the element just opened is an item in the usual place, one in the lenient place, or no item. */
function itemPlace(stack: Open[], channels: number): 'usual' | 'loose' | undefined {
  const root = stack[0]!.name;
  const name = stack[stack.length - 1]!.name;
  if (name !== 'item' && name !== 'entry') return undefined;
  if (stack.length === 2) {
    if ((root === 'feed' && name === 'entry') || (root === 'rdf:RDF' && name === 'item')) return 'usual';
    return root === 'rss' && name === 'item' ? 'loose' : undefined;
  }
  if (stack.length !== 3 || stack[1]!.name !== 'channel' || name !== 'item') return undefined;
  // rss-parser reads the items of the first <channel> only.
  if (root === 'rss') return channels === 1 ? 'usual' : undefined;
  return root === 'rdf:RDF' && channels === 1 ? 'loose' : undefined;
}

/** Whether the element just opened is a child of the feed itself: Atom <feed>, the first RSS <channel>, RDF's <channel>. */
function isFeedHead(stack: Open[], channels: number): boolean {
  const root = stack[0]!.name;
  if (stack.length === 2) return root === 'feed';
  return stack.length === 3 && stack[1]!.name === 'channel' && ((root === 'rss' && channels === 1) || root === 'rdf:RDF');
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr']);

/**
 * Serializes the elements inside a text element as HTML, in document order. Namespace prefixes and
 * declarations go (readers see HTML, not XHTML); href and src are resolved against an xml:base in effect;
 * the single wrapping <div> Atom requires around xhtml content is dropped (RFC 4287 §3.1.1.3).
 */
class HtmlWriter {
  #parts: string[] = [];
  #depth = 0;
  #elements = 0;
  #top: { name: string; open: number; close: number; count: number; text: boolean } = { name: '', open: -1, close: -1, count: 0, text: false };

  open(qname: string, attributes: Record<string, string>, base: string | undefined): void {
    const name = localName(qname);
    this.#elements++;
    if (this.#depth === 0) {
      this.#top.count++;
      this.#top.name = name;
      this.#top.open = this.#parts.length;
    }
    this.#depth++;
    let tag = `<${name}`;
    for (const [key, raw] of Object.entries(attributes)) {
      if (key === 'xmlns' || key.startsWith('xmlns:') || (key.startsWith('xml:') && key !== 'xml:lang')) continue;
      const attr = key === 'xml:lang' ? 'lang' : localName(key);
      const value = (attr === 'href' || attr === 'src') && base ? resolve(raw, base) : raw;
      tag += ` ${attr}="${value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`;
    }
    this.#parts.push(`${tag}>`);
  }

  close(qname: string): void {
    this.#depth--;
    const name = localName(qname);
    if (this.#depth === 0) this.#top.close = this.#parts.length;
    this.#parts.push(VOID.has(name) ? '' : `</${name}>`);
  }

  text(text: string): void {
    if (this.#depth === 0 && text.trim()) this.#top.text = true;
    this.#parts.push(text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
  }

  /** The HTML, or undefined when the element held text only (xml2js reads that correctly). */
  html(): string | undefined {
    if (this.#elements === 0) return undefined;
    const top = this.#top;
    if (top.count === 1 && top.name === 'div' && !top.text) {
      this.#parts[top.open] = '';
      this.#parts[top.close] = '';
    }
    return this.#parts.join('').trim();
  }
}

function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? qname : qname.slice(colon + 1);
}

function resolve(value: string, base: string): string {
  try {
    return new URL(value.trim(), base).href;
  } catch {
    return value;
  }
}
