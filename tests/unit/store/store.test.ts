import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { StoreCorruptError, StoreVersionError, StoreWriteError } from '../../../src/store/errors.ts';
import { ItemStore } from '../../../src/store/store.ts';
import { plain } from '../../helpers/plain-text.ts';

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'tributary-store-'));
}

function item(sourceId: string, n: number, published = `2025-03-0${1 + (n % 9)}T08:00:00.000Z`): Item {
  return {
    id: `https://${sourceId}.example.com/${n}`, sourceId, key: `g:${n}`, title: plain(`${sourceId} ${n}`),
    link: `https://${sourceId}.example.com/${n}`, published, updated: published, firstSeen: published,
    categories: [], enclosures: [], alsoIn: [], hash: `h${n}`,
  };
}

/** A store file as Tributary 0.1 wrote it. */
const V1_STORE = {
  version: 1,
  items: [item('world', 1), item('world', 2)],
  sources: {
    world: { id: 'world', consecutiveFailures: 0, lastFetch: '2025-03-02T10:00:00.000Z', etag: '"abc"' },
    cn: { id: 'cn', consecutiveFailures: 2, lastFetch: '2025-03-02T10:15:00.000Z' },
  },
};

describe('store schema versions', () => {
  it('migrates a v1 file to v2 and keeps a copy of the v1 file in backups/', async () => {
    const dir = dataDir();
    const v1Text = JSON.stringify(V1_STORE);
    writeFileSync(join(dir, 'store.json'), v1Text);
    const store = await ItemStore.open(dir);
    expect(store.opened.migratedFrom).toBe(1);
    expect(readFileSync(store.opened.preMigrationCopy!, 'utf8')).toBe(v1Text);
    expect(store.opened.preMigrationCopy).toMatch(/backups\/store\.v1-.*\.json$/);
    expect(store.generation).toBe(0);
    expect(store.savedAt).toBe('2025-03-02T10:15:00.000Z'); // the newest lastFetch: when v1 last wrote
    expect(store.items().map((i) => i.id)).toEqual(V1_STORE.items.map((i) => i.id));
    expect(store.sourceState('world').etag).toBe('"abc"');
    // Nothing is written until there is something to write.
    expect(readFileSync(join(dir, 'store.json'), 'utf8')).toBe(v1Text);
    store.apply([item('world', 3)], []);
    await store.commit();
    const written = JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8'));
    expect(written).toMatchObject({ version: 2, generation: 1 });
    expect(written.items).toHaveLength(3);
    // The next open reads v2 as it is.
    expect((await ItemStore.open(dir)).opened.migratedFrom).toBeUndefined();
  });

  const unreadable: [string, string, abstract new (...args: never[]) => StoreCorruptError][] = [
    ['a file cut off mid-write', '{"version":2,"generation":3,"items":[{"id":"https://a', StoreCorruptError],
    ['an empty file', '', StoreCorruptError],
    ['null', 'null', StoreCorruptError],
    ['a list', '[]', StoreCorruptError],
    ['items that are not a list', '{"version":2,"generation":0,"items":{},"sources":{}}', StoreCorruptError],
    ['a version from the future', '{"version":99,"generation":0,"items":[],"sources":{}}', StoreVersionError],
    ['no version', '{"items":[],"sources":{}}', StoreVersionError],
    ['version 0, which never existed', '{"version":0,"items":[],"sources":{}}', StoreVersionError],
  ];
  it.each(unreadable)('refuses %s, naming the file and leaving it byte for byte', async (_what, text, errorClass) => {
    const dir = dataDir();
    const file = join(dir, 'store.json');
    writeFileSync(file, text);
    const error = await ItemStore.open(dir).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(errorClass);
    expect((error as StoreCorruptError).file).toBe(file);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('--recover');
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(readdirSync(dir)).toEqual(['store.json']);
  });
});

describe('store writes', () => {
  it('rolls memory back to the file on disk when a write fails, and writes again later', async () => {
    const dir = dataDir();
    const store = await ItemStore.open(dir);
    store.apply([item('a', 1)], []);
    store.setSourceState({ id: 'a', consecutiveFailures: 0, etag: '"v1"' });
    expect(await store.commit()).toBe(true);

    store.apply([item('a', 2)], [{ ...item('a', 1), title: plain('edited') }]);
    store.setSourceState({ id: 'a', consecutiveFailures: 0, etag: '"v2"' });
    // The data directory vanishes (an unmounted volume): open() of the temp file fails.
    rmSync(dir, { recursive: true });
    const error = await store.commit().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StoreWriteError);
    expect((error as StoreWriteError).file).toBe(join(dir, 'store.json'));
    expect((error as StoreWriteError).code).toBe('ENOENT');
    // Memory is what the disk held: the item, the edit and the new validators are gone, so the next
    // fetch of the source is unconditional and brings them back.
    expect(store.items().map((i) => i.title)).toEqual(['a 1']);
    expect(store.bySourceKey('a', 'g:2')).toBeUndefined();
    expect(store.bySourceKey('a', 'g:1')?.title).toBe('a 1');
    expect(store.sourceState('a').etag).toBe('"v1"');
    expect(store.generation).toBe(1);

    mkdirSync(dir);
    store.apply([item('a', 2)], []);
    expect(await store.commit()).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')).items).toHaveLength(2);
  });

  it('keeps the last store.backups replaced files in backups/, each a complete earlier version', async () => {
    const dir = dataDir();
    const store = await ItemStore.open(dir, { backups: 2 });
    for (let n = 1; n <= 5; n++) {
      store.apply([item('a', n)], []);
      await store.commit();
    }
    const names = readdirSync(join(dir, 'backups')).sort();
    expect(names).toHaveLength(2);
    const kept = names.map((name) => JSON.parse(readFileSync(join(dir, 'backups', name), 'utf8')));
    expect(kept.map((b) => [b.generation, b.items.length])).toEqual([[3, 3], [4, 4]]);
    // Named for the time each was saved.
    expect(names[1]).toBe(`store-${kept[1].savedAt.replace(/:/g, '-')}.json`);
  });

  it('deletes temp files a killed writer left, but not those of a live process', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, '.store.json.999999.3.tmp'), '{"version":2,"items":[');
    writeFileSync(join(dir, `.store.json.${process.ppid}.1.tmp`), 'in flight');
    const store = await ItemStore.open(dir);
    expect(store.opened.staleTemps).toEqual(['.store.json.999999.3.tmp']);
    expect(existsSync(join(dir, `.store.json.${process.ppid}.1.tmp`))).toBe(true);
  });
});

describe('store recovery (--recover)', () => {
  async function storeWithBackups(): Promise<string> {
    const dir = dataDir();
    const store = await ItemStore.open(dir);
    for (let n = 1; n <= 3; n++) {
      store.apply([item('a', n)], []);
      await store.commit();
    }
    return dir;
  }

  it('moves the unreadable file aside and continues from the newest backup', async () => {
    const dir = await storeWithBackups();
    writeFileSync(join(dir, 'store.json'), '{"version":2,"items":[');
    const store = await ItemStore.open(dir, { recover: true, now: () => new Date('2025-03-09T18:42:00.000Z') });
    const recovery = store.opened.recovery!;
    expect(recovery.movedTo).toBe(join(dir, 'store.json.corrupt-2025-03-09T18-42-00.000Z'));
    expect(readFileSync(recovery.movedTo, 'utf8')).toBe('{"version":2,"items":[');
    expect(store.items()).toHaveLength(2); // generation 2, the file before the damaged one
    expect(store.generation).toBe(2);
    expect(JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')).generation).toBe(2);
  });

  it('skips backups that are unreadable too', async () => {
    const dir = await storeWithBackups();
    writeFileSync(join(dir, 'store.json'), 'garbage');
    const newest = readdirSync(join(dir, 'backups')).sort().at(-1)!;
    writeFileSync(join(dir, 'backups', newest), '{"version":7}');
    const store = await ItemStore.open(dir, { recover: true });
    expect(store.opened.recovery!.skipped).toEqual([newest]);
    expect(store.generation).toBe(1);
  });

  it('starts empty when no backup is readable, still keeping the damaged file', async () => {
    const dir = dataDir();
    writeFileSync(join(dir, 'store.json'), 'garbage');
    const store = await ItemStore.open(dir, { recover: true });
    expect(store.opened.recovery!.restoredFrom).toBeUndefined();
    expect(store.size).toBe(0);
    expect(readFileSync(store.opened.recovery!.movedTo, 'utf8')).toBe('garbage');
  });
});
