import { describe, expect, it } from 'vitest';
import { mergeItems, type StoredItems } from '../../../src/dedupe/merge.ts';
import type { Item } from '../../../src/model.ts';
import { normalizeItem } from '../../../src/normalize/normalize-item.ts';
import type { RawItem } from '../../../src/parse/types.ts';

/** What the store offers dedupe, kept in a plain array. */
class MemoryItems implements StoredItems {
  readonly items: Item[];
  constructor(items: Item[] = []) {
    this.items = items;
  }
  bySourceKey(sourceId: string, key: string): Item | undefined {
    return this.items.find((i) => i.sourceId === sourceId && i.key === key);
  }
  byCanonicalLink(link: string): Item | undefined {
    return this.items.find((i) => i.canonicalLink === link);
  }
  hasId(id: string): boolean {
    return this.items.some((i) => i.id === id);
  }
  byFingerprint(fingerprint: string): readonly Item[] {
    return this.items.filter((i) => i.fingerprint === fingerprint);
  }
}

const T0 = new Date('2025-03-09T12:00:00.000Z');
const T1 = new Date('2025-03-10T12:00:00.000Z');

const FEEDS: Record<string, string> = {
  chinanews: 'https://www.chinanews.example.cn/rss/scroll-news.xml',
  'bbc-chinese': 'https://feeds.bbc.example/zhongwen/simp/rss.xml',
};

/** An Item as normalize/ makes it from one source's raw item at `now`. */
function item(sourceId: string, fields: Partial<RawItem>, now: Date): Item {
  return normalizeItem({ categories: [], enclosures: [], ...fields }, {
    sourceId, feedUrl: FEEDS[sourceId]!, timezone: 'Asia/Shanghai', now, idAuthority: 'tributary.example',
  });
}

const STORY = {
  guid: 'https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml',
  title: '国产大模型：既需“仰望星空”也要脚踏实地',
  link: 'https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml',
  published: '2025-03-09 18:42:02',
};

describe('mergeItems', () => {
  it('adds an item the store has never seen', () => {
    const fresh = item('chinanews', STORY, T0);
    expect(mergeItems(new MemoryItems(), 'chinanews', [fresh], T0)).toEqual({ added: [fresh], updated: [], unchanged: 0, crossSource: 0 });
  });

  it('counts an item stored with the same key and the same content as unchanged', () => {
    const stored = new MemoryItems([item('chinanews', STORY, T0)]);
    const result = mergeItems(stored, 'chinanews', [item('chinanews', STORY, T1)], T1);
    expect(result).toEqual({ added: [], updated: [], unchanged: 1, crossSource: 0 });
  });

  it('updates a stored item whose title changed: same id, first-seen kept, updated bumped to now', () => {
    const old = item('chinanews', { guid: '10380001', title: '旧标题', published: '2025-03-09 18:42:02' }, T0);
    const fresh = item('chinanews', { guid: '10380001', title: '新标题（更正）', published: '2025-03-09 18:42:02' }, T1);
    expect(fresh.id).not.toBe(old.id); // a tag: id carries the day it was made
    const result = mergeItems(new MemoryItems([old]), 'chinanews', [fresh], T1);
    expect(result.added).toEqual([]);
    expect(result.updated).toHaveLength(1);
    expect(result.updated[0]).toMatchObject({
      id: old.id,
      title: '新标题（更正）',
      firstSeen: old.firstSeen,
      published: '2025-03-09T10:42:02.000Z',
      updated: T1.toISOString(),
      hash: fresh.hash,
    });
  });

  it('takes the source updated date when it is later than the stored one', () => {
    const old = item('chinanews', { ...STORY, updated: '2025-03-09 19:00:00' }, T0);
    const fresh = item('chinanews', { ...STORY, title: '更新后的标题', updated: '2025-03-09 20:00:00' }, T1);
    const [next] = mergeItems(new MemoryItems([old]), 'chinanews', [fresh], T1).updated;
    expect(next!.updated).toBe('2025-03-09T12:00:00.000Z');
  });

  it('lists a story another source already stored under that source, adding this one to alsoIn', () => {
    const first = item('chinanews', STORY, T0);
    const other = item('bbc-chinese', { guid: 'bbc-123', title: '大模型', link: 'http://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml?utm_source=bbc' }, T1);
    const result = mergeItems(new MemoryItems([first]), 'bbc-chinese', [other], T1);
    expect(result.added).toEqual([]);
    expect(result.crossSource).toBe(1);
    expect(result.updated).toEqual([{ ...first, alsoIn: ['bbc-chinese'] }]);
  });

  it('counts a cross-source story it already listed as unchanged', () => {
    const first = { ...item('chinanews', STORY, T0), alsoIn: ['bbc-chinese'] };
    const other = item('bbc-chinese', { guid: 'bbc-123', title: '大模型', link: STORY.link }, T1);
    expect(mergeItems(new MemoryItems([first]), 'bbc-chinese', [other], T1)).toEqual({ added: [], updated: [], unchanged: 1, crossSource: 0 });
  });

  it('keeps one item when a document carries the same entry twice', () => {
    const fresh = item('chinanews', STORY, T0);
    const result = mergeItems(new MemoryItems(), 'chinanews', [fresh, { ...fresh }], T0);
    expect(result.added).toEqual([fresh]);
    expect(result.updated).toEqual([]);
  });

  it('keeps one item when a document carries the same story under two guids', () => {
    const a = item('chinanews', { ...STORY, guid: 'cms-1' }, T0);
    const b = item('chinanews', { ...STORY, guid: 'cms-2', link: `${STORY.link}?spm=zm5062` }, T0);
    const result = mergeItems(new MemoryItems(), 'chinanews', [a, b], T0);
    expect(result.added).toEqual([a]);
    expect(result.updated).toEqual([]);
  });

  it('treats a stored story of the same source whose guid changed as the same item', () => {
    const old = item('chinanews', { ...STORY, guid: 'old-guid' }, T0);
    const fresh = item('chinanews', { ...STORY, guid: 'new-guid' }, T1);
    const result = mergeItems(new MemoryItems([old]), 'chinanews', [fresh], T1);
    expect(result.added).toEqual([]);
    expect(result.updated).toHaveLength(1);
    expect(result.updated[0]).toMatchObject({ id: old.id, key: 'g:new-guid', updated: old.updated });
  });

  it('keeps the stored published date of an undated item that changed', () => {
    const old = item('chinanews', { title: '无日期', link: 'https://www.chinanews.example.cn/n/1.shtml' }, T0);
    const fresh = item('chinanews', { title: '无日期（更新）', link: 'https://www.chinanews.example.cn/n/1.shtml' }, T1);
    const [next] = mergeItems(new MemoryItems([old]), 'chinanews', [fresh], T1).updated;
    expect(next).toMatchObject({ id: old.id, title: '无日期（更新）', published: T0.toISOString(), firstSeen: T0.toISOString(), undated: true });
  });

  it('counts an undated item seen again on a later fetch as unchanged', () => {
    const raw = { title: '无日期', link: 'https://www.chinanews.example.cn/n/1.shtml' };
    const stored = new MemoryItems([item('chinanews', raw, T0)]);
    expect(mergeItems(stored, 'chinanews', [item('chinanews', raw, T1)], T1).unchanged).toBe(1);
  });

  it('keeps an undated item where it was first seen when the same item later arrives with a date', () => {
    // Moving it would reorder a feed readers already have; nothing a reader sees changed but the date.
    const old = item('chinanews', { guid: 'g-1', title: '先无日期' }, T0);
    const fresh = item('chinanews', { guid: 'g-1', title: '先无日期', published: '2025-03-09 18:00:00' }, T1);
    const result = mergeItems(new MemoryItems([old]), 'chinanews', [fresh], T1);
    expect(result.updated).toEqual([]);
    expect(result.unchanged).toBe(1);
  });

  it('gives a new item a distinct id when its id is already taken by another source', () => {
    const taken = item('bbc-chinese', { guid: 'https://shared.example/guid/1', title: 'BBC', link: 'https://bbc.example/1' }, T0);
    const fresh = item('chinanews', { guid: 'https://shared.example/guid/1', title: '中新', link: 'https://www.chinanews.example.cn/1' }, T0);
    const { added } = mergeItems(new MemoryItems([taken]), 'chinanews', [fresh], T0);
    expect(added).toHaveLength(1);
    expect(added[0]!.id).not.toBe(taken.id);
    expect(added[0]!.id.startsWith(`${taken.id}#`)).toBe(true);
  });
});
