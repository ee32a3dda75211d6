import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem } from '../../../src/config/errors.ts';
import { parseConfig } from '../../../src/config/load.ts';

const FILE = 'feeds/sources.yaml';

const SOURCES = [
  'sources:',
  '  - id: chinanews-scroll',
  '    url: https://www.chinanews.example.cn/rss/scroll-news.xml',
  '  - id: bbc-chinese',
  '    url: https://feeds.bbc.example/zhongwen/simp/rss.xml',
];

function problemsOf(lines: string[]): ConfigProblem[] {
  try {
    parseConfig(lines.join('\n'), FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('parseConfig accepted a config it should have rejected');
}

describe('parseConfig: rules, source filters and tag titles', () => {
  it('reads the issue\'s example: keyword, regex, exclude and source-limited rules, a category rule, a filter, tag titles', () => {
    const config = parseConfig([
      'rules:',
      '  - tag: ai',
      '    match: ["大模型", "人工智能", "DeepSeek", "/\\\\bLLMs?\\\\b/i"]',
      '    exclude: ["广告"]',
      '    sources: [chinanews-scroll, bbc-chinese]',
      '  - tag: 科技',
      '    categories: ["科技", "Technology"]',
      'tags:',
      '  ai: { title: "AI 要闻", description: "大模型、人工智能" }',
      '  科技:',
      '    title: 科技新闻',
      ...SOURCES.slice(0, 3),
      '    filter: { exclude: ["/^\\\\[广告\\\\]/"] }',
      ...SOURCES.slice(3),
      '',
    ].join('\n'), FILE);
    expect(config.rules).toEqual([
      { tag: 'ai', match: ['大模型', '人工智能', 'DeepSeek', '/\\bLLMs?\\b/i'], categories: [], exclude: ['广告'], sources: ['chinanews-scroll', 'bbc-chinese'] },
      { tag: '科技', match: [], categories: ['科技', 'Technology'], exclude: [] },
    ]);
    expect(config.tags).toEqual({ ai: { title: 'AI 要闻', description: '大模型、人工智能' }, 科技: { title: '科技新闻' } });
    expect(config.sources[0]!.filter).toEqual({ include: [], exclude: ['/^\\[广告\\]/'] });
    expect(config.sources[1]!.filter).toBeUndefined();
  });

  it('leaves rules and tags out of a config that has none', () => {
    const config = parseConfig(SOURCES.join('\n'), FILE);
    expect(config).not.toHaveProperty('rules');
    expect(config).not.toHaveProperty('tags');
  });
});

const badRows: { why: string; lines: string[]; problem: Partial<ConfigProblem>; mentions: string }[] = [
  {
    why: 'rejects a regex with a backreference, with the line and index of the entry',
    lines: ['rules:', '  - tag: ai', '    match:', '      - 大模型', '      - "/(\\\\w+)\\\\1/"', ...SOURCES],
    problem: { line: 5, key: 'rules.0.match.1' },
    mentions: 'backreferences',
  },
  {
    why: 'rejects an unclosed regex in an exclude list',
    lines: ['rules:', '  - tag: ai', '    match: [AI]', '    exclude: ["/[广告/"]', ...SOURCES],
    problem: { line: 4, key: 'rules.0.exclude.0' },
    mentions: 'missing closing ]',
  },
  {
    why: 'rejects a bad regex in a source filter, with its line',
    lines: [...SOURCES.slice(0, 3), '    filter:', '      exclude: ["/(?=广告)/"]', ...SOURCES.slice(3)],
    problem: { line: 5, key: 'sources.0.filter.exclude.0' },
    mentions: 'lookahead',
  },
  {
    why: 'rejects a rule with neither match nor categories',
    lines: ['rules:', '  - tag: ai', '    exclude: [广告]', ...SOURCES],
    problem: { line: 2, key: 'rules.0' },
    mentions: 'needs a match or a categories list',
  },
  {
    why: 'rejects a rule naming a source that does not exist',
    lines: ['rules:', '  - tag: ai', '    match: [AI]', '    sources: [chinanews-scroll, bbc-chinse]', ...SOURCES],
    problem: { line: 4, key: 'rules.0.sources.1' },
    mentions: 'no source has the id "bbc-chinse"',
  },
  {
    why: 'rejects a rule tag with a plus, which composed tag URLs use',
    lines: ['rules:', '  - tag: ai+china', '    match: [AI]', ...SOURCES],
    problem: { line: 2, key: 'rules.0.tag' },
    mentions: '+',
  },
  {
    why: 'rejects an unknown key in a rule',
    lines: ['rules:', '  - tag: ai', '    match: [AI]', '    exlude: [广告]', ...SOURCES],
    problem: { line: 4, key: 'rules.0.exlude' },
    mentions: '"exlude"',
  },
  {
    why: 'rejects an unknown key in a source filter',
    lines: [...SOURCES.slice(0, 3), '    filter: { drop: [广告] }', ...SOURCES.slice(3)],
    problem: { line: 4, key: 'sources.0.filter.drop' },
    mentions: '"drop"',
  },
  {
    why: 'rejects a tag title entry for a tag with a comma',
    lines: ['tags:', '  "ai,finance": { title: x }', ...SOURCES],
    problem: { line: 2, key: 'tags.ai,finance' },
    mentions: 'must not contain',
  },
  {
    why: 'rejects a title for a tag no source or rule gives, a likely misspelling',
    lines: ['rules:', '  - tag: ai', '    match: [AI]', 'tags:', '  Ai:', '    title: AI 要闻', ...SOURCES],
    problem: { line: 6, key: 'tags.Ai' },
    mentions: 'no source or rule has the tag "Ai"',
  },
  {
    why: 'rejects an unknown key under a tag',
    lines: ['rules:', '  - tag: ai', '    match: [AI]', 'tags:', '  ai:', '    titel: AI 要闻', ...SOURCES],
    problem: { line: 6, key: 'tags.ai.titel' },
    mentions: '"titel"',
  },
];

describe('parseConfig: rule problems carry file, line and key', () => {
  for (const { why, lines, problem, mentions } of badRows) {
    it(why, () => {
      const problems = problemsOf(lines);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatchObject({ file: FILE, ...problem });
      expect(problems[0]!.message).toContain(mentions);
    });
  }
});
