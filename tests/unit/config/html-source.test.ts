import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem } from '../../../src/config/errors.ts';
import { parseConfig } from '../../../src/config/load.ts';

const FILE = 'feeds/sources.yaml';
const HEAD = ['sources:', '  - id: portal-latest', '    url: https://portal.example.cn/news/'];

function problemsOf(lines: string[]): ConfigProblem[] {
  try {
    parseConfig(lines.join('\n'), FILE);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('type: html sources in the config', () => {
  it('parses select.* into selectors, "css@attr" split, as the page reader takes them', () => {
    const config = parseConfig([...HEAD,
      '    type: html', '    tags: [新闻]', '    encoding: gbk', '    timezone: Asia/Shanghai', '    select:',
      '      item: "ul.latest li"', '      title: "a"', '      link: "a@href"', '      summary: ".intro"', '      date: "span.time@data-ts"',
      '      dateFormat: "YYYY-MM-DD HH:mm"'].join('\n'), FILE);
    expect(config.sources[0]).toMatchObject({
      id: 'portal-latest', type: 'html', encoding: 'gbk', timezone: 'Asia/Shanghai',
      select: {
        item: 'ul.latest li',
        title: { css: 'a', text: 'a' },
        link: { css: 'a', attr: 'href', text: 'a@href' },
        summary: { css: '.intro', text: '.intro' },
        date: { css: 'span.time', attr: 'data-ts', text: 'span.time@data-ts' },
        dateFormat: 'YYYY-MM-DD HH:mm',
      },
    });
    expect(config.sources[0]!.select!.title.attr).toBeUndefined();
  });

  it('leaves a feed source as it was: no type, no select', () => {
    const config = parseConfig([...HEAD, '    type: feed'].join('\n'), FILE);
    expect(config.sources[0]).not.toHaveProperty('type');
    expect(config.sources[0]).not.toHaveProperty('select');
  });

  it('reads "@href" as the item element\'s own attribute and keeps "@" inside CSS as CSS', () => {
    const config = parseConfig([...HEAD, '    type: html', '    select:', '      item: "a.news"', '      title: "@title"',
      '      link: "a[href*=\'@\']"'].join('\n'), FILE);
    expect(config.sources[0]!.select).toMatchObject({ title: { css: '', attr: 'title' }, link: { css: "a[href*='@']" } });
    expect(config.sources[0]!.select!.link!.attr).toBeUndefined();
  });
});

interface BadRow {
  why: string;
  lines: string[];
  problems: { line: number; key: string; mentions: string }[];
}

const bad: BadRow[] = [
  {
    why: 'names a selector that is not CSS, at its own line',
    lines: [...HEAD, '    type: html', '    select:', '      item: "ul.latest li["', '      title: a'],
    problems: [{ line: 6, key: 'sources.0.select.item', mentions: 'is not a valid CSS selector' }],
  },
  {
    why: 'names a field selector with an empty sub-selector',
    lines: [...HEAD, '    type: html', '    select:', '      item: li', '      title: "a,,b"', '      date: ".time"'],
    problems: [{ line: 7, key: 'sources.0.select.title', mentions: 'Empty sub-selector' }],
  },
  {
    why: 'refuses markup where a selector belongs',
    lines: [...HEAD, '    type: html', '    select:', '      item: "<li>"', '      title: a'],
    problems: [{ line: 6, key: 'sources.0.select.item', mentions: 'is not a CSS selector' }],
  },
  {
    why: 'needs select for type: html, pointing at the type line',
    lines: [...HEAD, '    tags: [新闻]', '    type: html'],
    problems: [{ line: 5, key: 'sources.0.type', mentions: 'needs select:' }],
  },
  {
    why: 'refuses select on a feed source',
    lines: [...HEAD, '    select:', '      item: li', '      title: a'],
    problems: [{ line: 5, key: 'sources.0.select', mentions: 'only to sources of type html' }],
  },
  {
    why: 'needs select.title',
    lines: [...HEAD, '    type: html', '    select:', '      item: li'],
    problems: [{ line: 6, key: 'sources.0.select.title', mentions: '' }],
  },
  {
    why: 'names an unknown key under select',
    lines: [...HEAD, '    type: html', '    select:', '      item: li', '      title: a', '      author: .byline'],
    problems: [{ line: 8, key: 'sources.0.select.author', mentions: 'unknown key "author"' }],
  },
  {
    why: 'refuses a dateFormat without a day',
    lines: [...HEAD, '    type: html', '    select:', '      item: li', '      title: a', '      dateFormat: YYYY-MM'],
    problems: [{ line: 8, key: 'sources.0.select.dateFormat', mentions: 'at least a month and a day' }],
  },
  {
    why: 'refuses an unknown type',
    lines: [...HEAD, '    type: json'],
    problems: [{ line: 4, key: 'sources.0.type', mentions: '' }],
  },
];

describe('type: html sources: config errors with file and line', () => {
  for (const { why, lines, problems } of bad) it(why, () => {
    const found = problemsOf(lines);
    expect(found.map(({ file, line, key }) => ({ file, line, key }))).toEqual(problems.map(({ line, key }) => ({ file: FILE, line, key })));
    found.forEach((p, i) => expect(p.message).toContain(problems[i]!.mentions));
  });
});
