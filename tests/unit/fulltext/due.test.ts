// Which items' pages a cycle reads, and how a stored article survives the feed's next copies of its item.
import { describe, expect, it } from 'vitest';
import type { FullTextSettings } from '../../../src/config/types.ts';
import { mergeItems } from '../../../src/dedupe/merge.ts';
import { failedRecord, fullTextCounts, MAX_PAGE_ATTEMPTS, pageDue, pagesToRead, settingsKey } from '../../../src/fulltext/due.ts';
import type { Item } from '../../../src/model.ts';
import { normalizeItem } from '../../../src/normalize/normalize-item.ts';
import { withPageContent } from '../../../src/normalize/page-content.ts';
import type { RawItem } from '../../../src/parse/types.ts';

const NOW = new Date('2026-12-06T00:00:00.000Z');
const SETTINGS: FullTextSettings = { remove: [], maxPerCycle: 2, refresh: false };
const ARTICLE = '<p>全文：进入十二月，江南多地气温走低，水乡古镇迎来冬季旅游热潮。</p>';

function feedItem(fields: Partial<RawItem> = {}, now = NOW): Item {
  return normalizeItem({
    categories: [], enclosures: [], guid: 'a1', title: '江南水乡古镇迎来冬季旅游热潮', link: 'https://www.example.com.cn/sh/1.shtml',
    summary: '进入十二月，江南多地水乡古镇迎来冬季旅游热潮。', published: '2026-12-05T06:32:00Z', ...fields,
  }, { sourceId: 'portal', feedUrl: 'https://www.example.com.cn/rss.xml', timezone: 'Asia/Shanghai', now, idAuthority: 'tributary.example' });
}
const read = (item: Item, settings = SETTINGS) => withPageContent(item, ARTICLE, { link: item.link, at: NOW.toISOString(), settings: settingsKey(settings) });
const stored = (item: Item) => ({ bySourceKey: (_s: string, key: string) => (key === item.key ? item : undefined), byCanonicalLink: () => undefined, byFingerprint: () => [], hasId: (id: string) => id === item.id });

describe('pageDue', () => {
  const failed = (failures: number, at = NOW) => {
    let item = feedItem();
    for (let n = 0; n < failures; n++) item = { ...item, fullText: failedRecord(item, SETTINGS, 'HTTP 503 Service Unavailable', at) };
    return item;
  };
  const rows: [string, Item, FullTextSettings, Date, ReturnType<typeof pageDue>][] = [
    ['an item never read', feedItem(), SETTINGS, NOW, 'new'],
    ['an item read', read(feedItem()), SETTINGS, NOW, undefined],
    ['an item read for another link', { ...read(feedItem()), link: 'https://www.example.com.cn/sh/2.shtml' }, SETTINGS, NOW, 'new'],
    ['a failure, before its backoff ends', failed(1), SETTINGS, new Date(NOW.getTime() + 29 * 60_000), undefined],
    ['a failure, once its backoff ended', failed(1), SETTINGS, new Date(NOW.getTime() + 30 * 60_000), 'retry'],
    ['the second failure waits twice as long', failed(2), SETTINGS, new Date(NOW.getTime() + 59 * 60_000), undefined],
    ['a page that failed every attempt is left alone', failed(MAX_PAGE_ATTEMPTS), SETTINGS, new Date(NOW.getTime() + 30 * 86400_000), undefined],
    ['read with other settings, without refresh', read(feedItem()), { ...SETTINGS, select: 'div.left_zw' }, NOW, undefined],
    ['read with other settings, with refresh', read(feedItem()), { ...SETTINGS, select: 'div.left_zw', refresh: true }, NOW, 'refresh'],
    ['a page that failed every attempt, with refresh and new settings', failed(MAX_PAGE_ATTEMPTS), { ...SETTINGS, select: 'article', refresh: true }, NOW, 'refresh'],
  ];
  for (const [why, item, settings, now, expected] of rows) it(why, () => expect(pageDue(item, settings, now)).toBe(expected));
});

describe('pagesToRead and fullTextCounts', () => {
  it('takes the newest items first, at most maxPerCycle, and counts the rest as pending', () => {
    const items = [1, 2, 3, 4].map((n) => feedItem({ guid: `a${n}`, link: `https://www.example.com.cn/sh/${n}.shtml`, published: `2026-12-0${n}T00:00:00Z` }));
    items[3] = read(items[3]!);
    expect(pagesToRead(items, SETTINGS, NOW).map((i) => i.link)).toEqual(['https://www.example.com.cn/sh/3.shtml', 'https://www.example.com.cn/sh/2.shtml']);
    items[0] = { ...items[0]!, fullText: failedRecord(items[0]!, SETTINGS, 'HTTP 404 Not Found', NOW) };
    expect(fullTextCounts(items, SETTINGS, NOW)).toEqual({ ok: 1, failed: 1, pending: 2 });
  });
});

describe('an article kept with its item (withPageContent, mergeItems)', () => {
  it("replaces the content, keeps the feed's summary, and hashes what a reader sees", () => {
    const feed = feedItem({ content: '<p>feed body</p>', summary: undefined });
    const item = read(feed);
    expect(item.content).toBe(ARTICLE);
    expect(item.summary).toBe('<p>feed body</p>');
    expect(item.hash).not.toBe(feed.hash);
    expect(item.fullText).toMatchObject({ status: 'ok', feedHash: feed.hash, readFor: feed.hash });
  });

  it("is unchanged while the feed repeats the item, and survives the feed's edit of it", () => {
    const item = read(feedItem());
    expect(mergeItems(stored(item), 'portal', [feedItem({}, new Date('2026-12-06T01:00:00Z'))], NOW)).toMatchObject({ updated: [], unchanged: 1 });
    const edited = feedItem({ summary: '（更新）江南多地水乡古镇迎来冬季旅游热潮。' });
    const [next] = mergeItems(stored(item), 'portal', [edited], NOW).updated;
    expect(next).toMatchObject({ id: item.id, content: ARTICLE, summary: '（更新）江南多地水乡古镇迎来冬季旅游热潮。' });
    expect(next!.fullText).toMatchObject({ status: 'ok', feedHash: edited.hash, readFor: item.fullText!.readFor });
    // refresh reads it again: the feed changed the item since the page was read.
    expect(pageDue(next!, { ...SETTINGS, refresh: true }, NOW)).toBe('refresh');
    expect(pageDue(next!, SETTINGS, NOW)).toBeUndefined();
  });

  it('is dropped when the feed gives the item another link', () => {
    const item = read(feedItem());
    const [next] = mergeItems(stored(item), 'portal', [feedItem({ link: 'https://www.example.com.cn/sh/1-new.shtml' })], NOW).updated;
    expect(next!.content).toBeUndefined();
    expect(next!.fullText).toBeUndefined();
    expect(pageDue(next!, SETTINGS, NOW)).toBe('new');
  });
});
