// The selector language of `type: html` sources: a CSS selector, optionally followed by @attribute
// ("a@href", "img@src", "@href" for the matched element itself). Checked here, at config load, so a typo is a
// config error with its line instead of a failed fetch at three in the morning.
import { createRequire } from 'node:module';
import type { CheerioAPI } from 'cheerio';

// Loaded on the first selector checked, so a config without `type: html` sources (and `tributary check` of one)
// never waits for cheerio. cheerio/slim compiles selectors with the same css-select as cheerio, without the
// parse5 parser and HTTP client a syntax check has no use for.
const require = createRequire(import.meta.url);

/** One field's selector: where to look (CSS, relative to the item) and what to read there. */
export interface FieldSelector {
  /** CSS selector within the item element; empty: the item element itself */
  css: string;
  /** attribute to read; absent: the element's text (title, date) or HTML (summary) */
  attr?: string;
  /** the selector as written, for messages */
  text: string;
}

/** The selectors of one `type: html` source, parsed. */
export interface PageSelectors {
  /** CSS selector of the item elements: one match, one item */
  item: string;
  title: FieldSelector;
  /** default: the item itself when it is an <a>, else its first a[href] */
  link?: FieldSelector;
  summary?: FieldSelector;
  date?: FieldSelector;
  /** hint for reading the date text, e.g. "YYYY-MM-DD HH:mm" or "MM/DD" */
  dateFormat?: string;
}

// The attribute is what follows the last "@" when that is a plain name, so "a[href*='@']" stays CSS.
const ATTRIBUTE = /^(.*)@([A-Za-z_:][-\w:.]*)$/s;

/** Splits "css@attr"; does not check the CSS (see selectorProblem). */
export function parseFieldSelector(text: string): FieldSelector {
  const trimmed = text.trim();
  const m = trimmed.match(ATTRIBUTE);
  return m ? { css: m[1]!.trim(), attr: m[2]!.toLowerCase(), text: trimmed } : { css: trimmed, text: trimmed };
}

// One empty document to compile selectors against: css-select compiles a selector the first time it is used.
let empty: CheerioAPI | undefined;

/** Why a CSS selector cannot be used, or undefined when it compiles. `field` allows "@attr" after the CSS. */
export function selectorProblem(text: string, kind: 'item' | 'field'): string | undefined {
  const { css, attr } = kind === 'field' ? parseFieldSelector(text) : { css: text.trim(), attr: undefined };
  if (!css) return kind === 'item' ? 'must be a CSS selector' : attr ? undefined : 'must be a CSS selector, @attribute or both';
  // A string starting with "<" would be read as markup by cheerio's $(…), never as a selector.
  if (css.startsWith('<')) return `is not a CSS selector: ${JSON.stringify(css)}`;
  empty ??= (require('cheerio/slim') as typeof import('cheerio/slim')).load('');
  try {
    empty.root().find(css);
    return undefined;
  } catch (err) {
    return `is not a valid CSS selector (${(err as Error).message}): ${JSON.stringify(css)}`;
  }
}

/** select: as written in the config (or given as inspect --select-… flags). */
export interface PageSelectInput {
  item: string;
  title: string;
  link?: string | undefined;
  summary?: string | undefined;
  date?: string | undefined;
  dateFormat?: string | undefined;
}

/** The written selectors, parsed; they must have passed selectorProblem. */
export function toPageSelectors(select: PageSelectInput): PageSelectors {
  const out: PageSelectors = { item: select.item.trim(), title: parseFieldSelector(select.title) };
  if (select.link !== undefined) out.link = parseFieldSelector(select.link);
  if (select.summary !== undefined) out.summary = parseFieldSelector(select.summary);
  if (select.date !== undefined) out.date = parseFieldSelector(select.date);
  if (select.dateFormat !== undefined) out.dateFormat = select.dateFormat;
  return out;
}
