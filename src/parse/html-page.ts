// A web page's news list as RawItems, through the operator's CSS selectors (sources of `type: html`). The page
// is parsed by cheerio with parse5, the HTML standard's tree builder, so unclosed <li>s, stray </div>s and
// tables of links build the same tree as in the browser the operator wrote the selectors against.
import { load, type CheerioAPI } from 'cheerio';
// Type only: cheerio's own node types, from the domhandler package it (and htmlparser2) installs.
import type { Element } from 'domhandler';
import type { FieldSelector, PageSelectors } from '../config/selector.ts';
import { FeedParseError } from './errors.ts';
import type { ParsedFeed, RawItem } from './types.ts';

export interface PageContext {
  /** where the page was read from (after redirects): base of its relative links unless it has a <base href> */
  documentUrl: string;
  select: PageSelectors;
}

/** A selector found nothing on the page: the page changed, or the selector was never right. */
export class SelectorMatchError extends FeedParseError {
  /** the config key, e.g. select.item */
  readonly key: string;
  readonly selector: string;
  constructor(key: string, selector: string, detail = '') {
    super(`selector \`${selector}\` matched 0 elements${detail} (${key}); the page's markup may have changed, check it with tributary inspect --html`);
    this.name = 'SelectorMatchError';
    this.key = key;
    this.selector = selector;
  }
}

const OPTIONAL_FIELDS = ['link', 'summary', 'date'] as const;

/** Reads the items the selectors pick out, in page order. Throws SelectorMatchError. */
export function parseHtmlPage(text: string, ctx: PageContext): ParsedFeed {
  const $ = load(text);
  const { select } = ctx;
  const elements = $(select.item).toArray().filter((node): node is Element => node.type === 'tag');
  if (elements.length === 0) throw new SelectorMatchError('select.item', select.item);
  const base = pageBase($, ctx.documentUrl);
  const language = $('html').attr('lang')?.trim() || undefined;
  const matched = new Set<string>();
  const items: RawItem[] = [];
  for (const element of elements) {
    const item = readItem($, element, select, base, matched);
    if (language) item.language = language;
    // An entry with neither a title nor a link is layout (a "更多>>" row, an ad slot), not a story.
    if (item.title || item.link) items.push(item);
  }
  // A field selector that found nothing in any item is as wrong as an item selector that found no item.
  for (const key of ['title', ...OPTIONAL_FIELDS] as const) {
    const field = select[key];
    if (field && !matched.has(key)) throw new SelectorMatchError(`select.${key}`, field.text, ` in any of the ${elements.length} items`);
  }
  const title = collapse($('head > title').first().text()) || undefined;
  return { format: 'html', ...(title ? { title } : {}), link: ctx.documentUrl, items };
}

function readItem($: CheerioAPI, element: Element, select: PageSelectors, base: string, matched: Set<string>): RawItem {
  const item: RawItem = { categories: [], enclosures: [], base };
  const title = read($, element, select.title, 'text');
  if (title !== undefined) {
    matched.add('title');
    // Escaped, so the normalizer decodes exactly once what cheerio already decoded: "&lt;" on the page stays "<".
    if (title) {
      item.title = escapeHtml(title);
      item.titleIsHtml = true;
    }
  }
  const link = select.link ? read($, element, select.link, 'href') : defaultLink($, element);
  if (link !== undefined) matched.add('link');
  if (link) item.link = link;
  if (select.summary) {
    const summary = read($, element, select.summary, 'html');
    if (summary !== undefined) matched.add('summary');
    if (summary?.trim()) item.summary = summary;
  }
  if (select.date) {
    const date = read($, element, select.date, 'text');
    if (date !== undefined) matched.add('date');
    if (date) item.published = date;
  }
  return item;
}

/**
 * The field's value in one item: an attribute when the selector names one, else what `read` says; undefined when
 * the selector matched no element (or the element lacks the attribute).
 */
function read($: CheerioAPI, item: Element, field: FieldSelector, kind: 'text' | 'html' | 'href'): string | undefined {
  const found = field.css ? fieldMatch($, item, field.css) : $(item);
  if (found.length === 0) return undefined;
  if (field.attr) {
    const value = found.attr(field.attr);
    if (value === undefined) return undefined;
    return kind === 'html' ? escapeHtml(value) : value.trim();
  }
  if (kind === 'href') return found.attr('href')?.trim() ?? found.find('a[href]').first().attr('href')?.trim();
  if (kind === 'html') return found.html() ?? '';
  return collapse(found.text());
}

/**
 * The first match within the item, else the item itself when it matches: with `item: "a.news"`, `title: "a"`
 * means the link's own text, which is what the operator sees (querySelector alone would never match it).
 */
function fieldMatch($: CheerioAPI, item: Element, css: string) {
  const inside = $(item).find(css).first();
  return inside.length > 0 || !$(item).is(css) ? inside : $(item);
}

/** Without select.link: the item itself when it is a link, else its first link. */
function defaultLink($: CheerioAPI, item: Element): string | undefined {
  const own = item.name === 'a' ? $(item).attr('href') : undefined;
  return (own ?? $(item).find('a[href]').first().attr('href'))?.trim();
}

/** Relative links resolve against <base href> as in the browser (itself relative to the page's URL). */
function pageBase($: CheerioAPI, documentUrl: string): string {
  const href = $('base[href]').first().attr('href')?.trim();
  if (!href) return documentUrl;
  try {
    const url = new URL(href, documentUrl);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : documentUrl;
  } catch {
    return documentUrl;
  }
}

/** The address a saved page names as its own (<link rel="canonical">, og:url), for resolving its links. */
export function pageOwnUrl(text: string): string | undefined {
  const $ = load(text);
  const named = $('link[rel~="canonical"][href]').first().attr('href') ?? $('meta[property="og:url"][content]').first().attr('content');
  return named?.trim() || undefined;
}

function collapse(text: string): string {
  return text.replace(/[\s\u00a0\u3000]+/g, ' ').trim();
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
