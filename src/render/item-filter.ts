// ?filter= and ?filterout=: a case-insensitive substring, or /regex/. Regexes run on RE2 (re2js), whose
// matching time is linear in the text, so no pattern can backtrack catastrophically. What a reader's pattern
// may cost is capped before it runs (regex-cost.ts: its program size, hence the work per character), the text
// it reads is capped, and filter-pass.ts runs a whole pass in slices with a budget.
import { RE2JS, RE2Set } from 're2js';
import type { Item } from '../model.ts';
import { compileWithinCost, RegexCostError } from '../rules/regex-cost.ts';
import { FeedQueryError } from './errors.ts';
import { plainText } from './plain-text.ts';

export interface TextPattern {
  /** the parameter as given, for links and cache keys */
  source: string;
  /** steps of work per character of text, at most: the RE2 program size of a regex, 1 for a substring */
  cost: number;
  test(text: string): boolean;
}

export const MAX_PATTERN_LENGTH = 256;
/** characters of title + summary a pattern looks at */
export const MAX_TEXT_LENGTH = 4096;
/** characters of an item's summary (or content) HTML made into text for a pattern, at most */
export const MAX_SEARCHED_HTML = MAX_TEXT_LENGTH * 8;
/**
 * RE2 instructions a reader's regex may compile to. One item then costs at most 64 x 4096 steps (an NFA step per
 * instruction and character, or a DFA state of at most 64 instructions built per character). The costliest
 * patterns found at this size (a.{58}qq, counted Unicode classes) took 8-17 ms on an item of a 2-core test
 * machine, a collection of the young generation often included: under the 50 ms a request may hold the event
 * loop, with room for the slice (filter-pass.ts) and the machine's noise. Every everyday pattern fits: eight
 * keywords as alternatives are 60, a ten-word Chinese alternation 48, \d{4}-\d{2}-\d{2} 12.
 */
export const MAX_FILTER_PROGRAM_SIZE = 64;
/**
 * Memory for a filter regex's DFA cache. re2js gives every regex 8 MiB by default; a pattern whose DFA explodes
 * (a.{60}qq, x.{40}q after Unicode classes) then builds megabytes of states per item and throws them away: one
 * 3,600-character item took 120-200 ms with a pattern of 44-65 instructions. With 64 KiB the DFA gives up early
 * and RE2's NFA finishes in its linear time, with far less for the collector; everyday patterns still fit in it
 * (a ten-word Chinese alternation over 10,000 items: 177 ms, but 1.6-2.1 s with 16-32 KiB, where it no longer fits).
 */
const FILTER_DFA_BYTES = 64 * 1024;

export function compileTextPattern(param: string, source: string): TextPattern {
  if (source.length === 0) throw new FeedQueryError(param, 'must not be empty');
  if (source.length > MAX_PATTERN_LENGTH) throw new FeedQueryError(param, `must be at most ${MAX_PATTERN_LENGTH} characters`);
  if (source.length >= 2 && source.startsWith('/') && source.endsWith('/')) return compileRegex(param, source);
  const needle = source.toLowerCase();
  return { source, cost: 1, test: (text) => text.toLowerCase().includes(needle) };
}

function compileRegex(param: string, source: string): TextPattern {
  const body = source.slice(1, -1);
  let size: number;
  try {
    size = compileWithinCost(body, MAX_FILTER_PROGRAM_SIZE, (text) => RE2JS.compile(text, RE2JS.CASE_INSENSITIVE), (re) => re.programSize()).programSize();
  } catch (err) {
    if (err instanceof RegexCostError) throw new FeedQueryError(param, err.message);
    throw new FeedQueryError(param, `is not a usable regular expression (RE2 syntax: no backreferences or lookaround): ${(err as Error).message}`);
  }
  // The matcher is made on the first test: a request answered from the cache of views never needs one.
  let set: RE2Set | undefined;
  const matcher = (): RE2Set => {
    // A set of one pattern is re2js's way to give a regex a DFA of bounded memory; it matches as test() does.
    const made = new RE2Set(RE2Set.UNANCHORED, RE2JS.CASE_INSENSITIVE, FILTER_DFA_BYTES);
    made.add(body);
    made.compile();
    return made;
  };
  return { source, cost: size, test: (text) => (set ??= matcher()).match(text).length > 0 };
}

/** What a pattern looks at of an item: a store that reads items for a filter needs no more of them. */
export type SearchableItem = Pick<Item, 'title' | 'summary' | 'content'>;

// Stored items are replaced, never mutated, on update: an item object's text never goes stale.
const texts = new WeakMap<SearchableItem, string>();

/** Title and summary (or content) as plain text, what a reader sees of an item in a list. */
export function searchText(item: SearchableItem): string {
  let text = texts.get(item);
  if (text === undefined) {
    const html = item.summary ?? item.content ?? '';
    // Cut the HTML before converting too, so that a whole article costs no more than its opening.
    const opening = html.length > MAX_SEARCHED_HTML ? html.slice(0, MAX_SEARCHED_HTML) : html;
    text = `${item.title}\n${plainText(opening)}`.slice(0, MAX_TEXT_LENGTH);
    texts.set(item, text);
  }
  return text;
}
