import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
import { compilePattern, patternProblem } from '../../../src/rules/pattern.ts';
import { BOUND_SLACK, compileWithinCost, programSizeBound, RegexCostError } from '../../../src/rules/regex-cost.ts';

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
