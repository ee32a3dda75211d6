// ?filter= and ?filterout=: a case-insensitive substring, or /regex/. Regexes run on RE2 (re2js), whose
// matching time is linear in the text, so no pattern can backtrack catastrophically; on top of that the
// pattern and the text are capped and a whole filtering pass has a time budget.
import { RE2JS } from 're2js';
import type { Item } from '../model.ts';
import { FeedQueryError } from './errors.ts';
import { plainText } from './plain-text.ts';

export interface TextPattern {
  /** the parameter as given, for links and cache keys */
  source: string;
  test(text: string): boolean;
}

export const MAX_PATTERN_LENGTH = 256;
/** characters of title + summary a pattern looks at */
const MAX_TEXT_LENGTH = 4096;
/** wall time one filtering pass over a feed may take */
export const FILTER_BUDGET_MS = 250;

export function compileTextPattern(param: string, source: string): TextPattern {
  if (source.length === 0) throw new FeedQueryError(param, 'must not be empty');
  if (source.length > MAX_PATTERN_LENGTH) throw new FeedQueryError(param, `must be at most ${MAX_PATTERN_LENGTH} characters`);
  if (source.length >= 2 && source.startsWith('/') && source.endsWith('/')) {
    let re: RE2JS;
    try {
      re = RE2JS.compile(source.slice(1, -1), RE2JS.CASE_INSENSITIVE);
    } catch (err) {
      throw new FeedQueryError(param, `is not a usable regular expression (RE2 syntax: no backreferences or lookaround): ${(err as Error).message}`);
    }
    return { source, test: (text) => re.test(text) };
  }
  const needle = source.toLowerCase();
  return { source, test: (text) => text.toLowerCase().includes(needle) };
}

/** Filtering took longer than its budget; the reader should use a simpler pattern. */
export class FilterBudgetError extends FeedQueryError {
  constructor(param: string, checked: number, total: number) {
    super(param, `took longer than ${FILTER_BUDGET_MS} ms (${checked} of ${total} items checked); use a simpler pattern`);
    this.name = 'FilterBudgetError';
  }
}

export interface FilterOptions {
  filter?: TextPattern;
  filterout?: TextPattern;
  /** the clock of the budget, in milliseconds */
  clock?: () => number;
}

/** The items whose title + summary matches `filter` and not `filterout`, in their order. */
export function filterItems(items: readonly Item[], options: FilterOptions): Item[] {
  const { filter, filterout } = options;
  if (!filter && !filterout) return [...items];
  // The texts are ours to make (once per item, then cached); the budget is for what the reader's patterns cost.
  const subjects = items.map(searchText);
  const clock = options.clock ?? (() => performance.now());
  const deadline = clock() + FILTER_BUDGET_MS;
  const kept: Item[] = [];
  for (let i = 0; i < items.length; i++) {
    if (clock() > deadline) throw new FilterBudgetError(filter ? 'filter' : 'filterout', i, items.length);
    const text = subjects[i]!;
    if (filter && !filter.test(text)) continue;
    if (filterout && filterout.test(text)) continue;
    kept.push(items[i]!);
  }
  return kept;
}

// Stored items are replaced, never mutated, on update: an item object's text never goes stale.
const texts = new WeakMap<Item, string>();

/** Title and summary (or content) as plain text, what a reader sees of an item in a list. */
export function searchText(item: Item): string {
  let text = texts.get(item);
  if (text === undefined) {
    text = `${item.title}\n${plainText(item.summary ?? item.content ?? '')}`.slice(0, MAX_TEXT_LENGTH);
    texts.set(item, text);
  }
  return text;
}
