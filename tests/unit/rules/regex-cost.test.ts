import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { FeedQueryError } from '../../../src/render/errors.ts';
import { compileTextPattern, MAX_FILTER_PROGRAM_SIZE } from '../../../src/render/item-filter.ts';
import { compilePattern, MAX_PROGRAM_SIZE, patternProblem } from '../../../src/rules/pattern.ts';
import { BOUND_SLACK, compileWithinCost, programSizeBound, RegexCostError } from '../../../src/rules/regex-cost.ts';

// A reader's ?filter=/regex/: accepted, refused unread (the text alone shows a huge program), or refused once compiled.
const filterRows: { pattern: string; verdict: 'accepted' | 'refused unread' | 'refused compiled'; why: string }[] = [
  { pattern: '/^(summit|markets)/', verdict: 'accepted', why: 'an anchored alternative (19 instructions)' },
  { pattern: '/\\d+月/', verdict: 'accepted', why: 'a Chinese date part' },
  { pattern: '/sport|football|soccer|basketball|tennis|golf|cricket|rugby/', verdict: 'accepted', why: 'eight keywords (60)' },
  { pattern: '/\\b(ai|llm|gpt-?\\d|claude|gemini)\\b/', verdict: 'accepted', why: 'words with boundaries (33)' },
  { pattern: '/(大模型|人工智能|芯片|半导体)/', verdict: 'accepted', why: 'Chinese keywords (19)' },
  { pattern: '/\\d{4}-\\d{2}-\\d{2}/', verdict: 'accepted', why: 'small counts (12)' },
  { pattern: '/\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}/', verdict: 'accepted', why: 'four small counted ranges (25)' },
  { pattern: '/\\p{Han}{2,4}公司/', verdict: 'accepted', why: 'a counted Unicode class (10)' },
  { pattern: '/[\\s\\S]{1,1000}[\\s\\S]{1,1000}q/', verdict: 'refused unread', why: 'the pattern that stalled the server (4,001)' },
  { pattern: '/.{1,1000}.{1,1000}.{1,1000}.{1,1000}q/', verdict: 'refused unread', why: 'counted ranges in a row (7,999)' },
  { pattern: '/((a{1,10}){1,10}){1,10}/', verdict: 'refused unread', why: 'nested counts multiply (2,221)' },
  { pattern: '/(?:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ){1000}/', verdict: 'refused unread', why: 'a counted group (46,002; 58 ms to compile)' },
  { pattern: '/(?:[a-m\\p{Han}]|[k-z0-9]){1,30}[^a]{30}qq/', verdict: 'refused unread', why: 'counted nested classes' },
  { pattern: '/climate.{0,50}deal/', verdict: 'refused compiled', why: 'a long counted gap (113)' },
  { pattern: '/a.{60}qq/', verdict: 'refused compiled', why: 'a DFA-exploding gap (65)' },
  { pattern: '/\\p{L}{1,20}\\p{N}{1,20}q/', verdict: 'refused compiled', why: 'counted Unicode classes (81)' },
  { pattern: '/(?i)[\\p{Lu}\\p{Ll}]{1,35}x/', verdict: 'refused compiled', why: 'case-insensitive Unicode classes (72)' },
  { pattern: '/rust|golang|typescript|javascript|python|kotlin|swift|haskell|ocaml|elixir|erlang|clojure|scala|zig|nim|crystal/', verdict: 'refused compiled', why: 'sixteen keywords (112)' },
];

describe('the cost of a reader\'s ?filter=/regex/', () => {
  it.each(filterRows)('$verdict: $pattern, $why', ({ pattern, verdict }) => {
    let error: unknown;
    try {
      compileTextPattern('filter', pattern);
    } catch (err) {
      error = err;
    }
    if (verdict === 'accepted') {
      expect(error).toBeUndefined();
      return;
    }
    expect(error).toBeInstanceOf(FeedQueryError);
    expect((error as FeedQueryError).param).toBe('filter');
    expect((error as Error).message).toMatch(/^filter: is too costly: /);
    expect((error as Error).message).toContain(`at most ${MAX_FILTER_PROGRAM_SIZE} are allowed`);
    expect((error as Error).message).toContain(verdict === 'refused unread' ? 'its counted repetitions make an RE2 program of up to' : 'its RE2 program has');
  });

  it('gives a substring filter the cost of one step per character, whatever its length', () => {
    expect(compileTextPattern('filterout', 'x'.repeat(256)).cost).toBe(1);
    expect(compileTextPattern('filter', '/sport|football/').cost).toBe(16);
  });
});

describe('the cost of a regex in feeds/*.yaml rules and filters', () => {
  it.each([
    { pattern: '/[\\s\\S]{1,1000}[\\s\\S]{1,1000}q/', problem: undefined },
    { pattern: '/\\p{Han}{1,1000}/i', problem: undefined },
    { pattern: '/a{1000}|b{1000}|c{1000}|d{1000}|e{1000}|f{1000}/', problem: 'its RE2 program has 6007 instructions, at most 5000' },
    { pattern: '/(?:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ){1000}/', problem: 'its counted repetitions make an RE2 program of up to 51009 instructions' },
  ])('$pattern: $problem', ({ pattern, problem }) => {
    if (problem === undefined) {
      expect(() => compilePattern(pattern)).not.toThrow();
      return;
    }
    expect(patternProblem(pattern)).toMatch(new RegExp(`^regex ${pattern.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')} is too costly: `));
    expect(patternProblem(pattern)).toContain(problem);
  });

  it('keeps the limit of the rules, which run in the fetch cycle, far above a reader\'s', () => {
    expect(MAX_PROGRAM_SIZE).toBe(5000);
    expect(MAX_FILTER_PROGRAM_SIZE).toBeLessThan(MAX_PROGRAM_SIZE / 50);
  });
});

describe('programSizeBound: the program size read from the text, before compiling', () => {
  // Each row is valid RE2; the bound must never be below what RE2 compiles, or a costly pattern would be compiled.
  it.each([
    'q', 'a|b|c', '(a)(b)(c)', '(?:)', '(|||)', 'a??b*?c+?', '^$\\b\\B\\A\\z',
    '\\d{4}-\\d{2}-\\d{2}', 'x{0}', 'x{3,}', 'x{0,}', '(?:ab){2,5}', '((a{1,10}){1,10}){1,10}', '(?:x{1,8}){1,8}',
    '[\\s\\S]{1,1000}[\\s\\S]{1,1000}q', '(?i)[\\p{Lu}\\p{Ll}]{1,30}x', '\\p{Han}{2,4}公司', '\\pL{1,20}\\PN{3}',
    // What is not a group or a count must not be read as one: classes, escapes, \Q…\E.
    '[]a]{30}', '[^]a]{30}', '[[:alpha:]]{30}', '[(]{30}', '[)]{30}', '(?:[)(]){30}', '[\\]]{30}', '\\({30}', '\\Q(((\\E{30}',
    '\\x{41}{30}', 'a{,5}', '{', 'a{1,2', '(?P<year>\\d{4})-(?<m>\\d{2})', '(?i:AB){40}', '(?s).{1,300}',
  ])('%s', (pattern) => {
    const size = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE).programSize();
    expect(programSizeBound(pattern)).toBeGreaterThanOrEqual(size);
  });

  it('stays within a small factor of the real size, so no pattern that fits is refused unread', () => {
    for (const pattern of ['\\d{4}-\\d{2}-\\d{2}', 'climate.{0,50}deal', 'sport|football|soccer', '(?:[a-z]{3,20}\\s+){2}', '[\\s\\S]{1,1000}q']) {
      const size = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE).programSize();
      expect(programSizeBound(pattern) / size, pattern).toBeLessThan(BOUND_SLACK);
    }
  });

  it('refuses without compiling when the bound is over the limit times the slack, and compiles otherwise', () => {
    let compiled = 0;
    const compile = (body: string) => (compiled++, RE2JS.compile(body));
    expect(() => compileWithinCost('(?:abcdefghij){1000}', 64, compile, (re) => re.programSize())).toThrow(RegexCostError);
    expect(compiled).toBe(0);
    expect(() => compileWithinCost('a.{60}qq', 64, compile, (re) => re.programSize())).toThrow(/its RE2 program has 65 instructions/);
    expect(compiled).toBe(1);
    expect(compileWithinCost('a.{50}qq', 64, compile, (re) => re.programSize()).programSize()).toBe(55);
  });
});
