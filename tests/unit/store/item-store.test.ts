import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { StoreCorruptError } from '../../../src/store/durable-file.ts';
import { ItemStore, STORE_VERSION, newestFirst } from '../../../src/store/store.ts';
import { plain } from '../../helpers/plain-text.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-store-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function storedItem(sourceId: string, n: number, published: string, extra: Partial<Item> = {}): Item {
  return {
    id: `tag:tributary.example,2025-03-09:${sourceId}/${n}`,
    sourceId,
    key: `g:${sourceId}-${n}`,
    title: plain(`${sourceId} 第 ${n} 条`),
    link: `https://${sourceId}.example.cn/${n}.shtml`,
    canonicalLink: `https://${sourceId}.example.cn/${n}.shtml`,
    published,
    updated: published,
    firstSeen: published,
    categories: [plain('新闻')],
    enclosures: [],
    alsoIn: [],
    hash: `hash-${n}`,
    ...extra,
  };
}

describe('ItemStore', () => {
  it('starts empty in a new directory and writes nothing until something changes', async () => {
    const store = await ItemStore.open(join(dir, 'data'));
    expect(store.size).toBe(0);
    expect(await store.commit()).toBe(false);
    expect(await readdir(join(dir, 'data'))).toEqual([]);
  });

  it('writes store.json on commit and a reopened store sees the items, indexes and source states', async () => {
    const store = await ItemStore.open(dir);
    const a = storedItem('chinanews', 1, '2025-03-09T10:42:02.000Z');
    const b = storedItem('chinanews', 2, '2025-03-09T11:00:00.000Z', { title: plain('喆堃：北京今日晴转多云') });
    store.apply([a, b], []);
    store.setSourceState({ id: 'chinanews', consecutiveFailures: 0, etag: '"abc"', lastSuccess: '2025-03-09T12:00:00.000Z' });
    expect(await store.commit()).toBe(true);
    expect(await store.commit()).toBe(false);

    const onDisk = JSON.parse(await readFile(join(dir, 'store.json'), 'utf8'));
    expect(onDisk.version).toBe(STORE_VERSION);
    expect(onDisk.items).toEqual([a, b]);

    const reopened = await ItemStore.open(dir);
    expect(reopened.items()).toEqual([a, b]);
    expect(reopened.bySourceKey('chinanews', 'g:chinanews-2')?.title).toBe('喆堃：北京今日晴转多云');
    expect(reopened.byCanonicalLink('https://chinanews.example.cn/1.shtml')).toEqual(a);
    expect(reopened.hasId(a.id)).toBe(true);
    expect(reopened.sourceState('chinanews')).toMatchObject({ etag: '"abc"' });
    expect(reopened.sourceState('never-fetched')).toEqual({ id: 'never-fetched', consecutiveFailures: 0 });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('replaces an updated item by id and re-indexes it under its new key', async () => {
    const store = await ItemStore.open(dir);
    const old = storedItem('chinanews', 1, '2025-03-09T10:00:00.000Z');
    store.apply([old], []);
    const next = { ...old, key: 'g:new-guid', title: plain('新标题'), hash: 'hash-new' };
    store.apply([], [next]);
    expect(store.items()).toEqual([next]);
    expect(store.size).toBe(1);
    expect(store.bySourceKey('chinanews', 'g:chinanews-1')).toBeUndefined();
    expect(store.bySourceKey('chinanews', 'g:new-guid')).toEqual(next);
  });

  it('prunes to the newest N items of each source and forgets the dropped ones', async () => {
    const store = await ItemStore.open(dir);
    store.apply([
      storedItem('chinanews', 1, '2025-03-01T00:00:00.000Z'),
      storedItem('chinanews', 2, '2025-03-03T00:00:00.000Z'),
      storedItem('chinanews', 3, '2025-03-02T00:00:00.000Z'),
      storedItem('chinanews', 4, '2025-03-04T00:00:00.000Z'),
      storedItem('solidot', 1, '2025-01-01T00:00:00.000Z'),
      storedItem('solidot', 2, '2025-01-02T00:00:00.000Z'),
    ], []);
    await store.commit();
    expect(store.prune(() => ({ maxItems: 2 }), new Date('2025-03-09T00:00:00Z')).byCount).toBe(2);
    const kept = store.items().map((i) => `${i.sourceId}/${i.key}`).sort();
    expect(kept).toEqual(['chinanews/g:chinanews-2', 'chinanews/g:chinanews-4', 'solidot/g:solidot-1', 'solidot/g:solidot-2']);
    expect(store.hasId('tag:tributary.example,2025-03-09:chinanews/1')).toBe(false);
    expect(store.byCanonicalLink('https://chinanews.example.cn/3.shtml')).toBeUndefined();
    expect(await store.commit()).toBe(true);
    expect((await ItemStore.open(dir)).size).toBe(4);
  });

  it('prunes nothing and stays clean when every source is within the limit', async () => {
    const store = await ItemStore.open(dir);
    store.apply([storedItem('chinanews', 1, '2025-03-01T00:00:00.000Z')], []);
    await store.commit();
    expect(store.prune(() => ({ maxItems: 1 }), new Date('2025-03-09T00:00:00Z')).byCount).toBe(0);
    expect(await store.commit()).toBe(false);
  });

  const corrupt: { why: string; bytes: Buffer }[] = [
    { why: 'a truncated JSON file', bytes: Buffer.from('{"version":1,"items":[{"id":"tag:x","title":"国产大') },
    { why: 'an empty file left by a power cut', bytes: Buffer.alloc(0) },
    { why: 'a file of NUL bytes', bytes: Buffer.alloc(64) },
    { why: 'GBK bytes that are not JSON', bytes: Buffer.from([0xd6, 0xd0, 0xce, 0xc4, 0x0a]) },
    { why: 'a JSON array', bytes: Buffer.from('[]') },
    { why: 'JSON of another program', bytes: Buffer.from('{"posts":[],"users":{}}') },
    { why: 'a store written by a newer release', bytes: Buffer.from(JSON.stringify({ version: STORE_VERSION + 1, items: [], sources: {} })) },
  ];
  for (const { why, bytes } of corrupt) {
    it(`refuses to open ${why} and leaves its bytes untouched`, async () => {
      const file = join(dir, 'store.json');
      await writeFile(file, bytes);
      const err = await ItemStore.open(dir).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreCorruptError);
      expect((err as StoreCorruptError).file).toBe(file);
      expect((err as Error).message).toContain(file);
      expect(Buffer.compare(await readFile(file), bytes)).toBe(0);
    });
  }

  // regression: lowdb's Low.read() ignores a falsy value, so a store.json holding JSON `null` opens as an empty
  // store (and the next commit overwrites the file) instead of being refused like other non-store JSON.
  it('refuses to open a store.json that holds JSON null', async () => {
    const file = join(dir, 'store.json');
    await writeFile(file, 'null');
    await expect(ItemStore.open(dir)).rejects.toBeInstanceOf(StoreCorruptError);
  });
});

describe('newestFirst', () => {
  it('orders by published date, newest first, then by id', () => {
    const items = [
      storedItem('a', 2, '2025-03-01T00:00:00.000Z'),
      storedItem('a', 3, '2025-03-02T00:00:00.000Z'),
      storedItem('a', 1, '2025-03-01T00:00:00.000Z'),
    ];
    expect(items.sort(newestFirst).map((i) => i.key)).toEqual(['g:a-3', 'g:a-1', 'g:a-2']);
  });
});
