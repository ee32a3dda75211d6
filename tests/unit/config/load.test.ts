import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.ts';
import { DEFAULT_TRACKING_PARAMS } from '../../../src/config/schema.ts';
import { ConfigError, type ConfigProblem } from '../../../src/config/errors.ts';

const FILE = 'feeds/sources.yaml';

/** The ConfigError parseConfig throws for text; fails the test when it does not throw one. */
function configErrorOf(text: string): ConfigError {
  try {
    parseConfig(text, FILE);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('parseConfig accepted a config it should have rejected');
}

describe('parseConfig: a valid config', () => {
  it('fills every default when the file only lists one source', () => {
    const config = parseConfig(
      ['sources:', '  - id: chinanews-scroll', '    url: https://www.chinanews.example.cn/rss/scroll-news.xml', ''].join('\n'),
      FILE,
    );
    expect(config).toEqual({
      files: [FILE],
      title: 'Tributary',
      baseUrl: 'http://127.0.0.1:8080',
      // not set: serve replaces it by the address it listens on
      baseUrlFollowsListen: true,
      defaults: { schedule: '*/15 * * * *', limit: 50, timezone: 'UTC' },
      fetch: { timeoutMs: 20_000, connectTimeoutMs: 10_000, maxBytes: 10 * 1024 * 1024, concurrency: 8, hostConcurrency: 2, spreadMs: 300_000, minIntervalMs: 0, maxIntervalMs: 86_400_000, allowPrivateRedirects: false },
      retention: { maxItemsPerSource: 500, minItemsPerSource: 20 },
      store: { backups: 3, kind: 'lowdb', pool: 10, leaseSeconds: 300 },
      hosts: {},
      dedupe: { trackingParams: [...DEFAULT_TRACKING_PARAMS], titleWindowHours: 48 },
      websub: { builtin: false, allowPrivateCallbacks: false, maxSubscriptions: 10_000, maxSubscriptionsPerHost: 500, requestsPerMinute: 60, timeoutMs: 10_000 },
      sources: [{
        id: 'chinanews-scroll',
        url: 'https://www.chinanews.example.cn/rss/scroll-news.xml',
        tags: [],
        schedule: '*/15 * * * *',
        enabled: true,
        timezone: 'UTC',
      }],
    });
  });

  it('reads language: as a language tag in its canonical case, and leaves it out when absent', () => {
    expect(parseConfig('language: zh-cn\nsources: []\n', FILE).language).toBe('zh-CN');
    expect(parseConfig('language: zh-Hant-TW\nsources: []\n', FILE).language).toBe('zh-Hant-TW');
    expect(parseConfig('sources: []\n', FILE)).not.toHaveProperty('language');
  });

  it('reads store: kind, url and pool (the PostgreSQL store), and names a bad one by its line', () => {
    expect(parseConfig('store:\n  kind: postgres\n  url: postgres://t@db/t\n  pool: 4\nsources: []\n', FILE).store)
      .toEqual({ backups: 3, kind: 'postgres', url: 'postgres://t@db/t', pool: 4, leaseSeconds: 300 });
    const err = configErrorOf('sources: []\nstore:\n  kind: postgres\n  url: mysql://db/t\n');
    expect(err.message).toContain(`${FILE}:4: store.url: must be a postgres:// or postgresql:// URL`);
    expect(configErrorOf('sources: []\nstore:\n  kind: sqlite\n').message).toContain(`${FILE}:3: store.kind`);
  });

  it('reads store.leaseSeconds (300 unless set), and names a lease too short, too long or fractional by its line', () => {
    expect(parseConfig('sources: []\n', FILE).store.leaseSeconds).toBe(300);
    expect(parseConfig('store:\n  kind: postgres\n  leaseSeconds: 30\nsources: []\n', FILE).store)
      .toEqual({ backups: 3, kind: 'postgres', pool: 10, leaseSeconds: 30 });
    expect(configErrorOf('sources: []\nstore:\n  kind: postgres\n  leaseSeconds: 2\n').message).toMatch(new RegExp(`${FILE}:4: store\\.leaseSeconds: .*5`));
    expect(configErrorOf('sources: []\nstore:\n  leaseSeconds: 100000\n').message).toContain(`${FILE}:3: store.leaseSeconds`);
    expect(configErrorOf('sources: []\nstore:\n  leaseSeconds: 7.5\n').message).toContain(`${FILE}:3: store.leaseSeconds`);
    expect(configErrorOf('sources: []\nstore:\n  leaseSeconds: soon\n').message).toContain(`${FILE}:3: store.leaseSeconds`);
  });

  it('accepts "sources: []" (or an empty mapping) as a config that names no source', () => {
    expect(parseConfig('sources: []\n', FILE).sources).toEqual([]);
    expect(parseConfig('{}', FILE).sources).toEqual([]);
  });

  it('gives sources the file defaults, keeps their own values, trims and de-duplicates tags', () => {
    const config = parseConfig([
      'title: 我的新闻',
      'baseUrl: https://news.example.cn/',
      'defaults:',
      '  timezone: Asia/Shanghai',
      '  schedule: "*/10 * * * *"',
      'fetch:',
      '  timeoutSeconds: 5',
      'sources:',
      '  - id: chinanews-scroll',
      '    url: https://www.chinanews.example.cn/rss/scroll-news.xml',
      '    title: 中新网 滚动新闻',
      '    tags: [新闻, 新闻, " china "]',
      '    encoding: gbk',
      '  - id: bbc-chinese',
      '    url: http://feeds.bbci.example/zhongwen/simp/rss.xml',
      '    schedule: "0 * * * *"',
      '    timezone: UTC',
      '    enabled: false',
      '',
    ].join('\n'), FILE);
    expect(config.title).toBe('我的新闻');
    expect(config.baseUrl).toBe('https://news.example.cn');
    expect(config.defaults).toEqual({ schedule: '*/10 * * * *', limit: 50, timezone: 'Asia/Shanghai' });
    expect(config.fetch.timeoutMs).toBe(5000);
    expect(config.sources).toEqual([
      {
        id: 'chinanews-scroll', url: 'https://www.chinanews.example.cn/rss/scroll-news.xml', title: '中新网 滚动新闻',
        tags: ['新闻', 'china'], schedule: '*/10 * * * *', enabled: true, encoding: 'gbk', timezone: 'Asia/Shanghai',
      },
      {
        id: 'bbc-chinese', url: 'http://feeds.bbci.example/zhongwen/simp/rss.xml',
        tags: [], schedule: '0 * * * *', enabled: false, timezone: 'UTC',
      },
    ]);
  });
});

interface BadConfigRow {
  why: string;
  lines: string[];
  problems: Partial<ConfigProblem>[];
  /** a fragment each problem's message must contain */
  mentions: string[];
}

const badConfigs: BadConfigRow[] = [
  {
    why: 'names an unknown top-level key with its line',
    lines: ['title: 新闻', 'baseUrl: https://news.example.cn', 'soruces: []'],
    problems: [{ line: 3, key: 'soruces' }],
    mentions: ['"soruces"'],
  },
  {
    why: 'names an unknown key inside a source with its dotted path and line',
    lines: ['sources:', '  - id: solidot', '    url: https://www.solidot.example/index.rss', '    tag: [科技]'],
    problems: [{ line: 4, key: 'sources.0.tag' }],
    mentions: ['"tag"'],
  },
  {
    why: 'names an unknown key inside fetch with its dotted path and line',
    lines: ['fetch:', '  timeout: 5'],
    problems: [{ line: 2, key: 'fetch.timeout' }],
    mentions: ['"timeout"'],
  },
  {
    why: 'points a duplicate source id at the second use and names the first line',
    lines: [
      'sources:',
      '  - id: ifanr',
      '    url: https://www.ifanr.example/feed',
      '  - id: sspai',
      '    url: https://sspai.example/feed',
      '  - id: ifanr',
      '    url: https://www.ifanr.example/feed?again',
    ],
    problems: [{ line: 6, key: 'sources.2.id' }],
    mentions: ['duplicate source id "ifanr" (first used at line 2)'],
  },
  {
    why: 'rejects a language that is not a BCP 47 tag, with its line',
    lines: ['title: 新闻', 'language: Chinese (Simplified)'],
    problems: [{ line: 2, key: 'language' }],
    mentions: ['language tag such as en, zh-CN'],
  },
  {
    why: 'rejects a cron expression that is English words',
    lines: ['defaults:', '  schedule: "every 5 minutes"'],
    problems: [{ line: 2, key: 'defaults.schedule' }],
    mentions: ['cron'],
  },
  {
    why: 'rejects a source cron expression with a minute out of range',
    lines: ['sources:', '  - id: solidot', '    url: https://www.solidot.example/index.rss', '    schedule: "61 * * * *"'],
    problems: [{ line: 4, key: 'sources.0.schedule' }],
    mentions: ['cron'],
  },
  {
    why: 'rejects an ftp:// source URL',
    lines: ['sources:', '  - id: mirror', '    url: ftp://mirror.example.cn/feed.xml'],
    problems: [{ line: 3, key: 'sources.0.url' }],
    mentions: ['http://'],
  },
  {
    why: 'rejects a relative source URL',
    lines: ['sources:', '  - id: local', '    url: /rss.xml'],
    problems: [{ line: 3, key: 'sources.0.url' }],
    mentions: ['http://'],
  },
  {
    why: 'rejects a made-up IANA zone',
    lines: ['sources:', '  - id: chinanews', '    url: https://www.chinanews.example.cn/rss.xml', '    timezone: Asia/Beijing'],
    problems: [{ line: 4, key: 'sources.0.timezone' }],
    mentions: ['IANA'],
  },
  {
    why: 'rejects a tag containing a slash, naming the tag by its index',
    lines: ['sources:', '  - id: ifanr', '    url: https://www.ifanr.example/feed', '    tags: [科技, tech/ai]'],
    problems: [{ line: 4, key: 'sources.0.tags.1' }],
    mentions: ['/'],
  },
  {
    why: 'rejects a tag of spaces only',
    lines: ['sources:', '  - id: ifanr', '    url: https://www.ifanr.example/feed', '    tags: ["  "]'],
    problems: [{ line: 4, key: 'sources.0.tags.0' }],
    mentions: ['empty'],
  },
  {
    why: 'points a missing url at the source that lacks it',
    lines: ['sources:', '  - id: no-url'],
    problems: [{ line: 2, key: 'sources.0.url' }],
    mentions: [''],
  },
  {
    why: 'counts lines the same in a file with CRLF line ends',
    lines: ['title: X\r', '# comment\r', 'sources:\r', '  - id: a\r', '    url: https://a.example/feed\r', '    tilte: x\r'],
    problems: [{ line: 6, key: 'sources.0.tilte' }],
    mentions: ['"tilte"'],
  },
  {
    why: 'lists every problem of the file at once, in file order',
    lines: [
      'title: X',
      'sources:',
      '  - id: a',
      '    url: https://a.example/feed',
      '    tilte: oops',
      '  - id: B_Bad',
      '    url: javascript:alert(1)',
      'extra: 1',
    ],
    problems: [
      { line: 5, key: 'sources.0.tilte' },
      { line: 6, key: 'sources.1.id' },
      { line: 7, key: 'sources.1.url' },
      { line: 8, key: 'extra' },
    ],
    mentions: ['"tilte"', '[a-z0-9-]+', 'http://', '"extra"'],
  },
];

describe('parseConfig: an invalid config', () => {
  for (const { why, lines, problems, mentions } of badConfigs) it(why, () => {
    const err = configErrorOf(lines.join('\n'));
    expect(err.problems).toHaveLength(problems.length);
    err.problems.forEach((problem, i) => {
      expect(problem).toMatchObject({ file: FILE, ...problems[i] });
      expect(problem.message).toContain(mentions[i]);
    });
    // The operator reads FILE:LINE: key: message, one problem a line.
    expect(err.message.split('\n')).toEqual(err.problems.map((p) => `${FILE}:${p.line}: ${p.key}: ${p.message}`));
  });

  it('reports a YAML syntax error with its line and no key', () => {
    const err = configErrorOf(['title: X', 'sources:', '  - id: a', '   url: [oops', ''].join('\n'));
    expect(err.problems.length).toBeGreaterThan(0);
    const first = err.problems[0]!;
    expect(first).toMatchObject({ file: FILE, line: 4, key: '' });
    expect(first.message).toMatch(/^YAML: /);
    expect(err.message.split('\n')[0]).toBe(`${FILE}:4: ${first.message}`);
  });

  it('reports a key written twice as a YAML error on the second line', () => {
    const err = configErrorOf(['title: A', 'title: B', ''].join('\n'));
    expect(err.problems).toEqual([{ file: FILE, line: 2, key: '', message: expect.stringMatching(/^YAML: .*unique/) }]);
  });

  it('reports a top-level list as one problem on line 1', () => {
    const err = configErrorOf('- id: a\n');
    expect(err.problems).toEqual([{ file: FILE, line: 1, key: '', message: expect.stringContaining('object') }]);
    expect(err.message).toBe(`${FILE}:1: ${err.problems[0]!.message}`);
  });
});

describe('parseConfig: a file of nothing', () => {
  // What an editor leaves half-way through a save, or a truncated write: never read as "no sources".
  it.each([
    ['0 bytes', ''],
    ['blank lines and tabs', ' \n\n\t\n'],
    ['only comments', '# sources moved to news.yaml\n'],
    ['a bare document marker', '---\n'],
    ['a bare null', '~\n'],
  ])('refuses %s, naming the file', (_name, text) => {
    expect(configErrorOf(text).problems).toEqual([{
      file: FILE, line: 0, key: '',
      message: 'the file is empty (or holds only comments); refused, since a file cut short while being saved reads the same. Write "sources: []" for a file that names no source',
    }]);
  });
});
