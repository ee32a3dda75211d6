import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { StoreCorruptError, StoreReadError } from '../../../src/store/errors.ts';
import { readItemLines } from '../../../src/store/item-lines.ts';
import { ItemStore } from '../../../src/store/store.ts';
import { plain } from '../../helpers/plain-text.ts';

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'tributary-store-layout-'));
}

function item(sourceId: string, n: number, title = `${sourceId} 第 ${n} 条`): Item {
  const published = `2025-03-0${1 + (n % 9)}T08:00:00.000Z`;
  return {
    id: `https://${sourceId}.example.cn/${n}`, sourceId, key: `g:${n}`, title: plain(title),
    link: `https://${sourceId}.example.cn/${n}`, published, updated: published, firstSeen: published,
    categories: [plain('新闻')], enclosures: [], alsoIn: [], hash: `h${n}`,
  };
}

function linesOf(file: string): string[] {
  return readFileSync(file, 'utf8').split('\n');
}

describe('store.json layout (one item per line)', () => {
  it('writes each item on its own line, and a reopened store reads back exactly what was stored', async () => {
    const dir = dataDir();
    const store = await ItemStore.open(dir);
    const items = [
      item('cn', 1, '国产大飞机首航\n第二行'),
      item('cn', 2, 'line\u2028separator and "quotes" and a \\ backslash'),
      item('cn', 3, ']}'),
      item('cn', 4, 'ends with a comma,\n]}\n'),
    ];
    store.apply(items, []);
    await store.commit();
    const file = join(dir, 'store.json');
    const lines = linesOf(file);
    expect(lines[0]).toMatch(/^\{"version":2,"generation":1,"savedAt":"[^"]+","items":\[$/);
    expect(lines.slice(1, -2).map((line) => JSON.parse(line.replace(/,$/, '')))).toEqual(items);
    expect(lines.slice(-2)).toEqual([']}', '']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 2, generation: 1, savedAt: store.savedAt, items });
    // Opening takes the streaming path for what a commit wrote, not the whole-file fallback.
    expect(await readItemLines(file)).toEqual({ version: 2, generation: 1, savedAt: store.savedAt, items });

    const reopened = await ItemStore.open(dir);
    expect(reopened.items()).toEqual(items);
    expect(reopened.generation).toBe(1);
    expect(reopened.savedAt).toBe(store.savedAt);
    expect(reopened.bySourceKey('cn', 'g:3')).toEqual(items[2]);
  });

  it('writes and reads a store whose items were all pruned', async () => {
    const dir = dataDir();
    const store = await ItemStore.open(dir);
    store.apply([item('cn', 1)], []);
    await store.commit();
    store.prune(() => 'purge', new Date('2025-03-09T00:00:00Z'));
    await store.commit();
    expect(readFileSync(join(dir, 'store.json'), 'utf8')).toMatch(/"items":\[\n\]\}\n$/);
    const reopened = await ItemStore.open(dir);
    expect(reopened.size).toBe(0);
    expect(reopened.generation).toBe(2);
  });

  it('reads a store.json written on one line by an older release and rewrites it one item per line at the next commit', async () => {
    const dir = dataDir();
    const file = join(dir, 'store.json');
    const old = { version: 2, generation: 4, savedAt: '2025-03-08T00:00:00.000Z', items: [item('cn', 1), item('cn', 2)] };
    writeFileSync(file, JSON.stringify(old));
    const store = await ItemStore.open(dir);
    expect(store.items()).toEqual(old.items);
    expect(store.generation).toBe(4);
    expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(old)); // nothing written until something changes
    store.apply([item('cn', 3)], []);
    await store.commit();
    expect(linesOf(file)).toHaveLength(1 + 3 + 2);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 2, generation: 5 });
    expect((await ItemStore.open(dir)).items()).toEqual([...old.items, item('cn', 3)]);
    // The file it replaced is the backup, as it was.
    const backup = readdirSync(join(dir, 'backups')).find((name) => name.startsWith('store-2025-03-08'))!;
    expect(readFileSync(join(dir, 'backups', backup), 'utf8')).toBe(JSON.stringify(old));
  });

  async function committed(dir: string, count: number): Promise<string> {
    const store = await ItemStore.open(dir);
    for (let n = 1; n <= count; n++) {
      store.apply([item('cn', n)], []);
      await store.commit();
    }
    return readFileSync(join(dir, 'store.json'), 'utf8');
  }

  it('refuses a file of this layout cut off mid-write, naming the file, and leaves it untouched', async () => {
    const dir = dataDir();
    const text = await committed(dir, 3);
    const file = join(dir, 'store.json');
    for (const cut of [text.indexOf('\n') + 40, text.lastIndexOf('},\n') + 2, text.length - 3]) {
      writeFileSync(file, text.slice(0, cut));
      const err = await ItemStore.open(dir).then(() => undefined, (e: unknown) => e);
      expect(err, `cut at ${cut}`).toBeInstanceOf(StoreCorruptError);
      expect((err as StoreCorruptError).file).toBe(file);
      expect((err as Error).message).toMatch(/JSON/);
      expect(readFileSync(file, 'utf8')).toBe(text.slice(0, cut));
    }
  });

  it('fails naming the file when store.json or sources.json cannot be read, and moves neither aside, even with --recover', async () => {
    for (const name of ['store.json', 'sources.json']) {
      const dir = dataDir();
      await committed(dir, 2);
      const store = await ItemStore.open(dir);
      store.setSourceState({ id: 'cn', consecutiveFailures: 0 });
      await store.commit();
      const file = join(dir, name);
      // A directory in its place: open() succeeds and the first read fails (EISDIR), as a failing disk does.
      rmSync(file);
      mkdirSync(file);
      for (const recover of [false, true]) {
        const err = await ItemStore.open(dir, { recover }).then(() => undefined, (e: unknown) => e);
        expect(err, `${name}, recover ${recover}`).toBeInstanceOf(StoreReadError);
        expect(err).not.toBeInstanceOf(StoreCorruptError);
        expect((err as StoreReadError).file).toBe(file);
        expect((err as StoreReadError).code).toBe('EISDIR');
        expect((err as Error).message).toContain(file);
        expect(readdirSync(dir).sort()).toEqual(['backups', 'sources.json', 'store.json']);
      }
    }
  });

  it('refuses a file with a line after the end rather than dropping it', async () => {
    const dir = dataDir();
    const text = await committed(dir, 2);
    const file = join(dir, 'store.json');
    writeFileSync(file, `${text}${JSON.stringify(item('cn', 9))}\n`);
    await expect(ItemStore.open(dir)).rejects.toBeInstanceOf(StoreCorruptError);
  });

  it('recovers from a backup of this layout, and from one written on one line', async () => {
    const dir = dataDir();
    await committed(dir, 3); // generation 3 in store.json, 1 and 2 in backups/
    const backups = readdirSync(join(dir, 'backups')).sort();
    expect(backups).toHaveLength(2);
    const newest = join(dir, 'backups', backups[1]!);
    const newestText = readFileSync(newest, 'utf8');
    expect(newestText.split('\n')).toHaveLength(1 + 2 + 2);
    writeFileSync(join(dir, 'store.json'), '{"version":2,"generation":3,"items":[\n{"id":');
    const store = await ItemStore.open(dir, { recover: true });
    expect(store.opened.recovery!.restoredFrom).toBe(newest);
    expect(store.generation).toBe(2);
    expect(store.items().map((i) => i.key)).toEqual(['g:1', 'g:2']);
    expect(readFileSync(join(dir, 'store.json'), 'utf8')).toBe(newestText);

    writeFileSync(newest, JSON.stringify(JSON.parse(newestText)));
    writeFileSync(join(dir, 'store.json'), 'garbage');
    const again = await ItemStore.open(dir, { recover: true });
    expect(again.opened.recovery!.restoredFrom).toBe(newest);
    expect(again.items().map((i) => i.key)).toEqual(['g:1', 'g:2']);
  });
});
