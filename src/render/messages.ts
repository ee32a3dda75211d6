// The pages' own words (index, feed views, error pages) in the site's language: a table, not a framework.
// Chinese for any zh* tag, English for every other.

export interface Messages {
  /** the language the words are in, for lang="" when the config names none */
  lang: string;
  feeds: string;
  sources: string;
  items: (count: number) => string;
  allFeedsAt: string;
  subscribe: string;
  copy: string;
  copied: string;
  copyFailed: string;
  opml: string;
  htmlView: string;
  noItems: string;
  from: string;
  tags: string;
  more: string;
  newer: string;
  older: string;
  first: string;
  last: string;
  backToIndex: string;
  never: string;
  movedTo: string;
  /** the index's summary line: "13 sources, 2 failing · last fetch …"; `lastFetch` is HTML (a <time>), the words hold no markup */
  summary: (sources: number, failing: number, lastFetch: string | null) => string;
  /** why a feed with no items is empty */
  emptyBecause: (failing: number, sources: number) => string;
  statusLink: string;
  /** the banner over a refused config change */
  configRejected: (at: string) => string;
  failingSince: string;
  sourceHealth: [id: string, source: string, items: string, lastFetch: string, lastSuccess: string, http: string,
    itemsSeen: string, failures: string, nextFetch: string, lastError: string];
  status: Record<number, string>;
  error: string;
  /** the descriptions of feeds that have none configured */
  latestDescription: (sources: number) => string;
  tagDescription: (tag: string) => string;
  sourceDescription: (title: string) => string;
  /** "3 minutes ago" */
  ago: (count: number, unit: RelativeUnit) => string;
  justNow: string;
}

export type RelativeUnit = 'minute' | 'hour' | 'day';

const EN: Messages = {
  lang: 'en',
  feeds: 'Feeds',
  sources: 'Sources',
  items: (n) => `${n} ${n === 1 ? 'item' : 'items'}`,
  allFeedsAt: 'All feeds at once:',
  subscribe: 'Subscribe',
  copy: 'Copy',
  copied: 'Copied',
  copyFailed: 'Select and copy',
  opml: 'OPML (every feed)',
  htmlView: 'Web page',
  noItems: 'No items yet.',
  from: 'from',
  tags: 'Tags',
  more: 'Summary',
  newer: 'Newer',
  older: 'Older',
  first: 'Newest',
  last: 'Oldest',
  backToIndex: 'All feeds of this service',
  never: 'never',
  movedTo: 'moved to',
  summary: (n, failing, last) => `${n} ${n === 1 ? 'source' : 'sources'}, ${failing} failing · last fetch ${last ?? 'not yet'}`,
  emptyBecause: (failing, n) => (failing > 0 ? `no items yet: ${failing} of ${n} sources failing, see Sources below` : 'no items yet: waiting for the first fetch'),
  statusLink: 'Machine-readable status (/status)',
  configRejected: (at) => `A config change was refused at ${at}; the previous config keeps running until the file is fixed:`,
  failingSince: 'failing',
  sourceHealth: ['id', 'source', 'items', 'last fetch', 'last success', 'HTTP', 'items seen', 'failures', 'next fetch', 'last error'],
  status: {
    400: 'Bad request', 404: 'Not found', 405: 'Method not allowed', 413: 'Too large', 415: 'Unsupported type', 500: 'Internal error',
    503: 'Not available yet',
  },
  error: 'Error',
  latestDescription: (n) => `Latest news from ${n} sources`,
  tagDescription: (tag) => `Latest items tagged ${tag}`,
  sourceDescription: (title) => `Items of ${title}`,
  ago: (n, unit) => `${n} ${unit}${n === 1 ? '' : 's'} ago`,
  justNow: 'just now',
};

const ZH: Messages = {
  lang: 'zh',
  feeds: '订阅源',
  sources: '来源',
  items: (n) => `${n} 条`,
  allFeedsAt: '一次订阅全部：',
  subscribe: '订阅',
  copy: '复制',
  copied: '已复制',
  copyFailed: '请手动复制',
  opml: 'OPML（全部订阅源）',
  htmlView: '网页',
  noItems: '暂无条目。',
  from: '来自',
  tags: '标签',
  more: '摘要',
  newer: '较新',
  older: '较早',
  first: '最新',
  last: '最早',
  backToIndex: '本服务的全部订阅源',
  never: '从未',
  movedTo: '已迁移至',
  summary: (n, failing, last) => `${n} 个来源，${failing} 个失败 · 上次抓取 ${last ?? '尚未'}`,
  emptyBecause: (failing, n) => (failing > 0 ? `暂无条目：${n} 个来源中 ${failing} 个抓取失败，见下方“来源”` : '暂无条目：等待首次抓取'),
  statusLink: '机器可读的状态（/status）',
  configRejected: (at) => `配置修改于 ${at} 被拒绝；修正文件之前，仍按之前的配置运行：`,
  failingSince: '失败',
  sourceHealth: ['ID', '来源', '条目', '上次抓取', '上次成功', 'HTTP', '读到条目', '连续失败', '下次抓取', '最近错误'],
  status: { 400: '请求有误', 404: '未找到', 405: '不支持的方法', 413: '内容过大', 415: '不支持的类型', 500: '内部错误', 503: '暂不可用' },
  error: '错误',
  latestDescription: (n) => `来自 ${n} 个来源的最新条目`,
  tagDescription: (tag) => `标签“${tag}”的最新条目`,
  sourceDescription: (title) => `${title} 的条目`,
  ago: (n, unit) => `${n} ${{ minute: '分钟', hour: '小时', day: '天' }[unit]}前`,
  justNow: '刚刚',
};

/** The words for a BCP 47 tag: Chinese for zh, zh-CN, zh-Hant-TW…, English otherwise (and when none is given). */
export function messages(lang: string | undefined): Messages {
  return lang && /^zh(-|$)/i.test(lang) ? ZH : EN;
}

/** The lang attribute of a page: the configured tag, else the table's own language. */
export function pageLang(lang: string | undefined): string {
  return lang ?? 'en';
}

/**
 * "3 minutes ago" for a time within the last week, else undefined (the page then shows the date). A time in the
 * future (a source's clock ahead) reads "just now".
 */
export function relativeTime(iso: string, now: number, words: Messages): string | undefined {
  const seconds = (now - Date.parse(iso)) / 1000;
  if (!(seconds < 7 * 86_400)) return undefined;
  if (seconds < 60) return words.justNow;
  if (seconds < 3600) return words.ago(Math.floor(seconds / 60), 'minute');
  if (seconds < 86_400) return words.ago(Math.floor(seconds / 3600), 'hour');
  return words.ago(Math.floor(seconds / 86_400), 'day');
}
