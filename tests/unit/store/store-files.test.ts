import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ItemStore, STORE_VERSION } from '../../../src/store/store.ts';

const fresh = () => mkdtempSync(join(tmpdir(), 'tributary-store-'));
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('ItemStore files', () => {
  it('moves the source states of a version 1 store.json into sources.json on the next commit', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'store.json'), JSON.stringify({
      version: 1, items: [], sources: { cn: { id: 'cn', consecutiveFailures: 2, etag: '"e1"', lastError: 'HTTP 500' } },
    }));
    const store = await ItemStore.open(dir);
    expect(store.sourceState('cn')).toMatchObject({ consecutiveFailures: 2, etag: '"e1"' });
    expect(await store.commit()).toBe(true);
    expect(read(join(dir, 'store.json'))).toEqual({ version: STORE_VERSION, generation: 1, savedAt: expect.any(String), items: [] });
    expect(read(join(dir, 'sources.json'))).toEqual({ version: STORE_VERSION, sources: { cn: { id: 'cn', consecutiveFailures: 2, etag: '"e1"', lastError: 'HTTP 500' } } });
    const reopened = await ItemStore.open(dir);
    expect(reopened.sourceState('cn').etag).toBe('"e1"');
  });

  it('writes only sources.json when only a source state changed', async () => {
    const dir = fresh();
    const store = await ItemStore.open(dir);
    store.apply([], []);
    store.setSourceState({ id: 'a', consecutiveFailures: 0 });
    expect(await store.commit()).toBe(false);
    expect(() => statSync(join(dir, 'store.json'))).toThrow();
    expect(read(join(dir, 'sources.json')).sources.a).toEqual({ id: 'a', consecutiveFailures: 0 });
  });

  it('refuses a sources.json that is not ours, and leaves it untouched', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'sources.json'), '["not", "ours"]');
    await expect(ItemStore.open(dir)).rejects.toThrow(/sources\.json is corrupt \(not a Tributary source state file\)/);
    expect(readFileSync(join(dir, 'sources.json'), 'utf8')).toBe('["not", "ours"]');
  });
});
