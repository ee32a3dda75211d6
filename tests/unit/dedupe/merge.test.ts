import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { mergeItems, type MergeOptions } from '../../../src/dedupe/merge.ts';
import type { Item } from '../../../src/model.ts';
import { normalizeItem } from '../../../src/normalize/normalize-item.ts';
import type { RawItem } from '../../../src/parse/types.ts';
import { ItemStore } from '../../../src/store/store.ts';

const T0 = new Date('2025-03-09T12:00:00Z');
const hours = (n: number) => new Date(T0.getTime() + n * 3600_000);
const WINDOW: MergeOptions = { titleWindowMs: 48 * 3600_000 };

function item(sourceId: string, raw: Partial<RawItem>, now = T0): Item {
  return normalizeItem({ categories: [], enclosures: [], ...raw }, {
    sourceId, feedUrl: `https://${sourceId}.example/feed.xml`, timezone: 'Asia/Shanghai', now, idAuthority: 'tributary.test',
  });
}

describe('mergeItems against the real store', () => {
  let store: ItemStore;
  const ingest = (sourceId: string, items: Item[], now = T0, options = WINDOW) => {
    const changes = mergeItems(store, sourceId, items, now, options);
    store.apply(changes.added, changes.updated);
    return changes;
  };

  beforeEach(async () => {
    store = await ItemStore.open(mkdtempSync(join(tmpdir(), 'tributary-merge-')));
  });

  it('keeps a story two sources link alike (http/https, tracking parameters) once, under the first, listing both', () => {
    ingest('sina', [item('sina', { guid: 's1', title: 'Story A', link: 'https://news.example.cn/a.html?from=rss', published: '2025-03-09 10:00' })]);
    const changes = ingest('qq', [item('qq', { guid: 'q1', title: 'Story A (QQ)', link: 'http://NEWS.example.cn/a.html?spm=x#top', published: '2025-03-09 10:05' })]);
    expect(changes).toMatchObject({ added: [], crossSource: 1 });
    expect(store.items()).toHaveLength(1);
    expect(store.items()[0]).toMatchObject({ sourceId: 'sina', title: 'Story A', alsoIn: ['qq'] });
  });

  it('keeps a story syndicated without a shared link once when the titles differ only in full/half-width punctuation', () => {
    ingest('sina', [item('sina', { guid: 's1', title: '国产大模型：既需“仰望星空”也要脚踏实地', link: 'https://sina.example/1', published: '2025-03-09 18:42' })]);
    ingest('ifeng', [item('ifeng', { guid: 'f1', title: '国产大模型:既需“仰望星空”也要脚踏实地', link: 'https://ifeng.example/9', published: '2025-03-10 09:00' })]);
    ingest('163', [item('163', { guid: 'n1', title: '国产大模型： 既需“仰望星空” 也要脚踏实地', link: 'https://163.example/3', published: '2025-03-09 20:00' })]);
    expect(store.items()).toHaveLength(1);
    expect(store.items()[0]).toMatchObject({ sourceId: 'sina', alsoIn: ['163', 'ifeng'] });
  });

  it('finds a story by title in a store reopened from disk', async () => {
    ingest('sina', [item('sina', { guid: 's1', title: '芯片企业加快布局先进封装技术', link: 'https://sina.example/2', published: '2025-03-09 10:00' })]);
    await store.commit();
    store = await ItemStore.open(join(store.file, '..'));
    ingest('ifeng', [item('ifeng', { guid: 'f2', title: '芯片企业加快布局先进封装技术！', link: 'https://ifeng.example/2', published: '2025-03-09 11:00' })]);
    expect(store.items()).toHaveLength(1);
    expect(store.items()[0]).toMatchObject({ sourceId: 'sina', alsoIn: ['ifeng'] });
  });

  it('treats the same title outside the window as a new story', () => {
    ingest('a', [item('a', { guid: 'a1', title: 'Quarterly results beat expectations', published: '2025-03-01T10:00:00Z' })]);
    ingest('b', [item('b', { guid: 'b1', title: 'Quarterly results beat expectations', published: '2025-03-09T10:00:00Z' })]);
    expect(store.items().map((i) => i.sourceId)).toEqual(['a', 'b']);
  });

  it('honours a configured window (dedupe.titleWindowHours)', () => {
    ingest('a', [item('a', { guid: 'a1', title: 'Quarterly results beat expectations', published: '2025-03-09T00:00:00Z' })]);
    ingest('b', [item('b', { guid: 'b1', title: 'Quarterly results beat expectations', published: '2025-03-09T06:00:00Z' })], T0, { titleWindowMs: 3600_000 });
    expect(store.items()).toHaveLength(2);
  });

  it('never merges two items of one source by title: a daily column repeats its title', () => {
    ingest('a', [
      item('a', { guid: 'd1', title: 'Morning briefing: the markets', published: '2025-03-08T07:00:00Z' }),
      item('a', { guid: 'd2', title: 'Morning briefing: the markets', published: '2025-03-09T07:00:00Z' }),
    ]);
    expect(store.items()).toHaveLength(2);
  });

  it('counts a source once in alsoIn however often it carries the story again', () => {
    ingest('a', [item('a', { guid: 'a1', title: 'Summit ends with climate pledge', link: 'https://x.example/s' })]);
    ingest('b', [item('b', { guid: 'b1', title: 'Summit ends with climate pledge', link: 'https://x.example/s' })]);
    const again = ingest('b', [item('b', { guid: 'b1', title: 'Summit ends with climate pledge', link: 'https://x.example/s' })], hours(1));
    expect(again).toMatchObject({ added: [], updated: [], crossSource: 0, unchanged: 1 });
    expect(store.items()[0]!.alsoIn).toEqual(['b']);
  });

  it('replaces an edited item in place and bumps updated; an unchanged one changes nothing', () => {
    ingest('a', [item('a', { guid: 'a1', title: 'Draft title here', content: '<p>v1</p>', published: '2025-03-09T10:00:00Z' })]);
    const stored = store.items()[0]!;
    const same = ingest('a', [item('a', { guid: 'a1', title: 'Draft title here', content: '<p>v1</p>', published: '2025-03-09T10:00:00Z' }, hours(1))], hours(1));
    expect(same).toMatchObject({ added: [], updated: [], unchanged: 1 });
    expect(store.items()[0]).toBe(stored);
    const edited = ingest('a', [item('a', { guid: 'a1', title: 'Final title here', content: '<p>v2</p>', published: '2025-03-09T10:00:00Z' }, hours(2))], hours(2));
    expect(edited.updated).toHaveLength(1);
    expect(store.items()).toHaveLength(1);
    expect(store.items()[0]).toMatchObject({ id: stored.id, title: 'Final title here', content: '<p>v2</p>', firstSeen: stored.firstSeen,
      published: stored.published, updated: hours(2).toISOString() });
  });

  it('gives an undated item the time first seen, and keeps it on later fetches', () => {
    ingest('a', [item('a', { guid: 'u1', title: 'No date on this one' })]);
    expect(store.items()[0]).toMatchObject({ published: T0.toISOString(), undated: true });
    const later = ingest('a', [item('a', { guid: 'u1', title: 'No date on this one' }, hours(5))], hours(5));
    expect(later).toMatchObject({ updated: [], unchanged: 1 });
    expect(store.items()[0]!.published).toBe(T0.toISOString());
  });

  it('clamps a date more than a day ahead to the time first seen, and keeps it once that date arrives', () => {
    ingest('a', [item('a', { guid: 'f1', title: 'Scheduled post from the future', published: '2025-03-20T00:00:00Z' })]);
    expect(store.items()[0]).toMatchObject({ published: T0.toISOString(), undated: true });
    const afterwards = hours(24 * 12);
    const changes = ingest('a', [item('a', { guid: 'f1', title: 'Scheduled post from the future', published: '2025-03-20T00:00:00Z' }, afterwards)], afterwards);
    expect(changes).toMatchObject({ updated: [], unchanged: 1 });
    expect(store.items()[0]!.published).toBe(T0.toISOString());
  });

  it('keeps a date up to a day ahead (time-zone slop) as given', () => {
    ingest('a', [item('a', { guid: 'n1', title: 'Posted in a zone ahead of ours', published: '2025-03-10T06:00:00Z' })]);
    expect(store.items()[0]).toMatchObject({ published: '2025-03-10T06:00:00.000Z' });
    expect(store.items()[0]).not.toHaveProperty('undated');
  });
});
