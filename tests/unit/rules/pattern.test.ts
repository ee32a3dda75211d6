import { describe, expect, it } from 'vitest';
import { matchField } from '../../../src/rules/fold.ts';
import { compilePattern, PatternError, patternProblem } from '../../../src/rules/pattern.ts';

const findRows: { why: string; pattern: string; text: string; found: string | undefined }[] = [
  { why: 'finds a Chinese keyword inside a longer run of Chinese', pattern: '大模型', text: '国产大模型：既需“仰望星空”也要脚踏实地', found: '大模型' },
  { why: 'finds a Chinese keyword next to Latin letters', pattern: '人工智能', text: 'OpenAI人工智能新品', found: '人工智能' },
  { why: 'matches a half-width keyword in full-width text', pattern: 'DeepSeek', text: 'ＤｅｅｐＳｅｅｋ发布新模型', found: 'DeepSeek' },
  { why: 'matches a full-width keyword in half-width text', pattern: 'ＧＰＴ', text: 'GPT-5 面世', found: 'GPT' },
  { why: 'matches full-width digits as half-width', pattern: '5G', text: '５Ｇ基站建设提速', found: '5G' },
  { why: 'folds case for English keywords', pattern: 'deepseek', text: 'DEEPSEEK opens its weights', found: 'DEEPSEEK' },
  { why: 'folds ß to ss', pattern: 'strasse', text: 'Neue Straße in Berlin', found: 'strasse' },
  { why: 'matches a Latin keyword as a whole word only', pattern: 'AI', text: 'The minister said nothing new', found: undefined },
  { why: 'does not match a Latin keyword inside a longer word', pattern: 'AI', text: 'AIDS research funding', found: undefined },
  { why: 'matches a Latin keyword between spaces', pattern: 'AI', text: 'How AI changes newsrooms', found: 'AI' },
  { why: 'counts a Chinese character next to a Latin keyword as a word boundary', pattern: 'AI', text: '用AI写作的记者', found: 'AI' },
  { why: 'matches a Latin keyword next to punctuation', pattern: 'AI', text: '(AI) regulation', found: 'AI' },
  { why: 'keeps looking after an occurrence inside a word', pattern: 'LLM', text: 'LLMs and one LLM', found: 'LLM' },
  { why: 'matches a keyword ending in a digit as a whole word', pattern: 'GPT-4', text: 'GPT-4o is not GPT-4', found: 'GPT-4' },
  { why: 'reads a /…/ entry as a regex', pattern: '/\\bLLMs?\\b/i', text: 'New llms benchmarked', found: 'llms' },
  { why: 'matches a regex case-sensitively without the i flag', pattern: '/\\bLLMs?\\b/', text: 'New llms benchmarked', found: undefined },
  { why: 'anchors a regex at the start of the field', pattern: '/^\\[广告\\]/', text: '[广告] 夏季大促', found: '[广告]' },
  { why: 'does not find an anchored regex in mid-text', pattern: '/^\\[广告\\]/', text: '今日要闻 [广告] 夏季大促', found: undefined },
  { why: 'runs regexes on NFKC text, so a full-width bracket matches', pattern: '/^\\[广告\\]/', text: '［广告］夏季大促', found: '[广告]' },
  { why: 'supports Unicode classes', pattern: '/\\p{Han}{2}汽车/', text: '新能源汽车3月销量', found: '能源汽车' },
  { why: 'supports \\u escapes', pattern: '/[\\u4e00-\\u9fff]+/', text: 'abc 中文 def', found: '中文' },
  { why: 'supports lookbehind (captureless, linear)', pattern: '/(?<=型号)\\w+/', text: '型号X100', found: 'X100' },
  { why: 'takes a single slash as a keyword', pattern: 'a/b', text: 'a/b testing', found: 'a/b' },
];

describe('compilePattern: finding text', () => {
  for (const { why, pattern, text, found } of findRows) {
    it(why, () => {
      expect(compilePattern(pattern).find(matchField('title', text))).toBe(found);
    });
  }
});

const badRows: { why: string; pattern: string; mentions: string }[] = [
  { why: 'rejects a backreference, which needs backtracking', pattern: '/(a+)\\1/', mentions: 'backreferences' },
  { why: 'rejects lookahead, which needs backtracking', pattern: '/AI(?!DS)/', mentions: 'lookahead' },
  { why: 'rejects an unclosed class', pattern: '/[abc/', mentions: 'missing closing ]' },
  { why: 'rejects an unknown flag', pattern: '/ai/gx', mentions: 'unsupported flag "g"' },
  { why: 'rejects a repeat count over RE2\'s limit', pattern: '/(a{100}){100}/', mentions: 'invalid repeat count' },
  { why: 'rejects a pattern whose compiled program is too large', pattern: '/a{1000}|b{1000}|c{1000}|d{1000}|e{1000}|f{1000}/', mentions: 'too costly' },
  { why: 'rejects a blank keyword', pattern: '   ', mentions: 'blank' },
];

describe('compilePattern: patterns the config cannot use', () => {
  for (const { why, pattern, mentions } of badRows) {
    it(why, () => {
      expect(() => compilePattern(pattern)).toThrow(PatternError);
      expect(patternProblem(pattern)).toContain(mentions);
    });
  }

  it('names the pattern in the message', () => {
    expect(patternProblem('/(a+)\\1/')).toMatch(/^regex \/\(a\+\)\\1\/: /);
  });

  it('gives no problem for a usable pattern', () => {
    expect(patternProblem('/\\bLLMs?\\b/i')).toBeUndefined();
    expect(patternProblem('大模型')).toBeUndefined();
  });
});

describe('compilePattern: pathological regexes run in linear time', () => {
  // Each of these backtracks exponentially in a backtracking engine (V8's included) on this input; RE2
  // answers at once. With backtracking the test would not finish at all.
  const evil = `${'a'.repeat(50_000)}!`;
  for (const pattern of ['/(a+)+$/', '/(a|aa)+$/', '/^(a|a?)+$/', '/^(\\w+\\s?)*$/']) {
    it(`answers ${pattern} on 50,000 a's and a "!" without backtracking`, () => {
      expect(compilePattern(pattern).find(matchField('summary', evil))).toBeUndefined();
    });
  }
});
