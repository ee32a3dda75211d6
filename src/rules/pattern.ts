// One entry of a rule's match/exclude list or a source filter: a keyword, or a /regex/flags.
//
// Regexes run on RE2JS, a linear-time engine (no backtracking): a pattern such as /(a+)+$/ costs time
// proportional to the text, never exponential, so one bad pattern cannot stall a fetch cycle or a render.
// The budget is a bound on work rather than a wall-clock timeout on purpose: a clock-based cut-off would
// make an item's tags depend on machine load, and then the same input would no longer give the same bytes.
// Work per match is at most MAX_PROGRAM_SIZE x the text length (regex-cost.ts), and item-text.ts caps the text.
import { RE2JS, RE2JSException } from 're2js';
import { foldText, type MatchField } from './fold.ts';
import { compileWithinCost, RegexCostError } from './regex-cost.ts';

/**
 * Compiled RE2 programs larger than this are refused at config load: they are the costly ones. Rules run in
 * the fetch cycle, not per request, so they may cost far more than a reader's ?filter= (item-filter.ts).
 */
export const MAX_PROGRAM_SIZE = 5000;

export interface Pattern {
  /** as written in the config */
  readonly source: string;
  readonly kind: 'keyword' | 'regex';
  /** the matched text when the pattern occurs in the field, else undefined */
  find(field: MatchField): string | undefined;
}

/** A pattern the config cannot use; the message says what to change. */
export class PatternError extends Error {
  readonly pattern: string;
  constructor(pattern: string, message: string) {
    super(message);
    this.name = 'PatternError';
    this.pattern = pattern;
  }
}

const REGEX_LITERAL = /^\/(.+)\/([a-z]*)$/s;

export function compilePattern(text: string): Pattern {
  const literal = REGEX_LITERAL.exec(text);
  return literal ? compileRegex(text, literal[1]!, literal[2]!) : compileKeyword(text);
}

/** The problem with a pattern, for config validation; undefined when it compiles. */
export function patternProblem(text: string): string | undefined {
  try {
    compilePattern(text);
    return undefined;
  } catch (err) {
    if (err instanceof PatternError) return err.message;
    throw err;
  }
}

function compileKeyword(text: string): Pattern {
  const keyword = foldText(text.trim());
  if (!keyword) throw new PatternError(text, 'keyword must not be blank');
  const chars = [...keyword];
  const wordStart = isSpacedWordChar(chars[0]!);
  const wordEnd = isSpacedWordChar(chars[chars.length - 1]!);
  return {
    source: text,
    kind: 'keyword',
    find(field) {
      for (let at = field.folded.indexOf(keyword); at >= 0; at = field.folded.indexOf(keyword, at + 1)) {
        const end = at + keyword.length;
        if (wordStart && isSpacedWordChar(charBefore(field.folded, at))) continue;
        if (wordEnd && isSpacedWordChar(charAfter(field.folded, end))) continue;
        // Report the text as it reads in the item when folding kept the length (it nearly always does).
        return field.folded.length === field.text.length ? field.text.slice(at, end) : field.folded.slice(at, end);
      }
      return undefined;
    },
  };
}

function compileRegex(text: string, body: string, flags: string): Pattern {
  let mode = RE2JS.LOOKBEHINDS;
  for (const flag of new Set(flags)) {
    if (flag === 'i') mode |= RE2JS.CASE_INSENSITIVE;
    else if (flag === 'm') mode |= RE2JS.MULTILINE;
    else if (flag === 's') mode |= RE2JS.DOTALL;
    else if (flag !== 'u') throw new PatternError(text, `regex ${text}: unsupported flag "${flag}" (use i, m, s or u)`);
  }
  let re: RE2JS;
  try {
    // The bound is read from the translated pattern, which is what RE2 compiles.
    re = compileWithinCost(RE2JS.translateRegExp(body.normalize('NFKC')), MAX_PROGRAM_SIZE, (source) => RE2JS.compile(source, mode), (compiled) => compiled.programSize());
  } catch (err) {
    if (err instanceof RegexCostError) throw new PatternError(text, `regex ${text} ${err.message}`);
    if (!(err instanceof RE2JSException)) throw err;
    throw new PatternError(text, `regex ${text}: ${err.message.replace(/^error parsing regexp: /, '')}${hintFor(body)}`);
  }
  return {
    source: text,
    kind: 'regex',
    find(field) {
      // Most fields do not match: test() answers on RE2's DFA; exec() (which finds the matched text for
      // explanations) runs only on a hit.
      if (!re.test(field.text)) return undefined;
      return String(re.exec(field.text)![0]);
    },
  };
}

/** RE2 rejects what needs backtracking; say so, since its own message names only the token. */
function hintFor(body: string): string {
  if (/\\[1-9]|\\k</.test(body)) return ' (backreferences need backtracking and are not supported: regexes run in linear time)';
  if (/\(\?[=!]/.test(body)) return ' (lookahead needs backtracking and is not supported: regexes run in linear time)';
  return '';
}

// Scripts written without spaces between words: a keyword in them matches anywhere (大模型 in 国产大模型),
// and a letter of theirs next to a Latin keyword counts as a word boundary (AI in 用AI写作).
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;

function isSpacedWordChar(char: string): boolean {
  return char !== '' && WORD_CHAR.test(char) && !UNSPACED.test(char);
}

function charBefore(text: string, at: number): string {
  if (at <= 0) return '';
  const low = text.charCodeAt(at - 1);
  const start = low >= 0xdc00 && low <= 0xdfff && at >= 2 ? at - 2 : at - 1;
  return String.fromCodePoint(text.codePointAt(start)!);
}

function charAfter(text: string, at: number): string {
  return at >= text.length ? '' : String.fromCodePoint(text.codePointAt(at)!);
}
