// One contract, two stores: the embedded one (lowdb files in a temp dir) and PostgreSQL (a real server,
// tests/setup/postgres.ts) answer the same calls the same way: items, dedupe lookups, retention, pruned keys,
// source states and the journal of changes. Then what only a shared database has to prove: instances writing
// the same story at the same moment store it once.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeItems } from '../../src/dedupe/merge.ts';
import type { Item } from '../../src/model.ts';
import { EmbeddedBackend } from '../../src/store/embedded-backend.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import type { RetentionPolicy } from '../../src/store/retention.ts';
import type { StoreBackend, WriteBatch } from '../../src/store/store-api.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { sampleItem } from '../helpers/sample-items.ts';

const WINDOW = 48 * 3600_000;
const NOW = new Date('2025-03-01T00:00:00Z');
const open: StoreBackend[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

type Maker = { make(): Promise<StoreBackend>; reopen(): Promise<StoreBackend> };

const kinds: [string, (label: string) => Promise<Maker>][] = [
  ['embedded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tributary-contract-'));
    dirs.push(dir);
    const make = async () => {
      const store = await EmbeddedBackend.open(dir);
      open.push(store);
      return store;
    };
    // The embedded store has one owner: close the first before reopening, as a restart does.
    return { make, reopen: async () => { await open.pop()?.close(); return make(); } };
  }],
  ['postgres', async (label) => {
    const url = await freshDatabase(label);
    const make = async () => {
      const store = await PgStore.open({ url, pool: 4 });
      open.push(store);
      return store;
    };
    return { make, reopen: make };
  }],
];

function item(n: number, fields: Partial<Item> = {}): Item {
  return sampleItem(n, fields);
}

function batch(sourceId: string, added: Item[], updated: Item[] = []): WriteBatch {
  return { sourceId, added, updated, titleWindowMs: WINDOW };
}

/** What dedupe makes of fresh items against the store, then written: an ingest's store half. */
async function ingest(store: StoreBackend, sourceId: string, fresh: Item[]) {
  const changes = mergeItems(await store.candidates(sourceId, fresh), sourceId, fresh, NOW, { titleWindowMs: WINDOW });
  return store.write(batch(sourceId, changes.added, changes.updated));
}

describe.each(kinds)('the %s store keeps the store contract', (kind, maker) => {
  it('stores new items, finds them by source key, canonical link, fingerprint and id, and keeps them across a reopen', async () => {
    const stores = await maker(`${kind}_basic`);
    const store = await stores.make();
    const items = [1, 2, 3].map((n) => item(n, { canonicalLink: `https://world.example.com/story/${n}`, fingerprint: `story ${n}` }));
    const written = await store.write(batch('world', items));
    expect(written.added.map((i) => i.id)).toEqual(items.map((i) => i.id));
    const seen = await store.candidates('world', items);
    expect(seen.bySourceKey('world', 'g:2')?.id).toBe(items[1]!.id);
    expect(seen.byCanonicalLink('https://world.example.com/story/3')?.id).toBe(items[2]!.id);
    expect(seen.byFingerprint('story 1').map((i) => i.id)).toEqual([items[0]!.id]);
    expect(seen.hasId(items[0]!.id)).toBe(true);
    expect(seen.hasId('tag:nothing')).toBe(false);
    expect(await store.count()).toBe(3);
    const again = await stores.reopen();
    expect(await again.count()).toBe(3);
    expect(await again.item(items[2]!.id)).toEqual(items[2]);
    expect(await again.countsBySource()).toEqual(new Map([['world', 3]]));
  });

  it('dedupes through it: an item listed again is unchanged, an edited one replaced, another source\'s copy joins alsoIn', async () => {
    const store = await (await maker(`${kind}_dedupe`)).make();
    const first = [1, 2].map((n) => item(n, { canonicalLink: `https://news.example/${n}` }));
    expect((await ingest(store, 'world', first)).added).toHaveLength(2);
    const unchanged = await ingest(store, 'world', first);
    expect(unchanged.added).toHaveLength(0);
    expect(unchanged.updated).toHaveLength(0);
    const edited = await ingest(store, 'world', [{ ...first[0]!, title: 'Story 1, corrected' as Item['title'], hash: 'hash-1b' }]);
    expect(edited.updated.map((i) => i.title)).toEqual(['Story 1, corrected']);
    const copy = item(9, { sourceId: 'portal', key: 'g:portal-9', id: 'tag:tributary.test,2025:portal/9', canonicalLink: 'https://news.example/2' });
    const joined = await ingest(store, 'portal', [copy]);
    expect(joined.added).toHaveLength(0);
    expect((await store.item(first[1]!.id))?.alsoIn).toEqual(['portal']);
    expect(await store.count()).toBe(2);
  });

  it('keeps source states, with their pruned keys', async () => {
    const stores = await maker(`${kind}_states`);
    const store = await stores.make();
    expect(await store.sourceState('world')).toEqual({ id: 'world', consecutiveFailures: 0 });
    await store.setSourceState({ id: 'world', consecutiveFailures: 2, etag: '"abc"', prunedKeys: { k1: '2025-01-01T00:00:00.000Z' } });
    await store.write({ ...batch('world', [item(1)]), state: { id: 'world', consecutiveFailures: 0, etag: '"def"' } });
    expect(await (await stores.reopen()).sourceState('world')).toEqual({ id: 'world', consecutiveFailures: 0, etag: '"def"' });
  });

  it('prunes by count and by age above the minimum, remembers the pruned keys, purges a removed source', async () => {
    const store = await (await maker(`${kind}_prune`)).make();
    // world: items 1..10, one hour apart in January 2025; NOW is March 2025
    await store.write(batch('world', Array.from({ length: 10 }, (_, i) => item(i + 1))));
    await store.write(batch('gone', [item(50, { sourceId: 'gone', key: 'g:50', id: 'tag:gone/50' })]));
    const byCount: RetentionPolicy = (id) => (id === 'gone' ? 'purge' : { maxItems: 6 });
    const first = await store.prune(byCount, NOW);
    expect(first).toEqual({ byCount: 4, byAge: 0, purged: ['gone'] });
    expect(await store.countsBySource()).toEqual(new Map([['world', 6]]));
    for (const n of [1, 2, 3, 4]) expect(await store.item(item(n).id)).toBeUndefined();
    expect(await store.item(item(5).id)).toBeDefined();
    const pruned = (await store.sourceState('world')).prunedKeys ?? {};
    expect(Object.keys(pruned)).toHaveLength(4);
    // every remaining item is older than 30 days: age drops all but the newest 2 (the minimum)
    const byAge = await store.prune(() => ({ maxItems: 100, maxAgeDays: 30, minItems: 2 }), NOW);
    expect(byAge).toEqual({ byCount: 0, byAge: 4, purged: [] });
    expect((await store.countsBySource()).get('world')).toBe(2);
    expect(await store.item(item(10).id)).toBeDefined();
    expect(await store.item(item(9).id)).toBeDefined();
    expect(Object.keys((await store.sourceState('world')).prunedKeys ?? {})).toHaveLength(8);
  });

  it('journals every change in order: added, replaced, dropped', async () => {
    const store = await (await maker(`${kind}_journal`)).make();
    const start = await store.revision();
    expect(await store.changesSince(start)).toEqual([]);
    const one = item(1);
    await store.write(batch('world', [one, item(2)]));
    const mid = await store.revision();
    const edited = { ...one, hash: 'hash-1b', title: 'Edited' as Item['title'] };
    await store.write(batch('world', [], [edited]));
    await store.prune(() => ({ maxItems: 1 }), NOW);
    const changes = await store.changesSince(start);
    expect(changes?.map((c) => [c.before?.id ?? null, c.after?.id ?? null, c.after?.title ?? null])).toEqual([
      [null, one.id, 'Story 1'],
      [null, item(2).id, 'Story 2'],
      [one.id, one.id, 'Edited'],
      [one.id, null, null],
    ]);
    expect((await store.changesSince(mid))?.length).toBe(2);
    expect(await store.changesSince((await store.revision()) + 5)).toBeNull();
  });
});

describe('several instances on one PostgreSQL database', () => {
  it('stores a story arriving from two sources in two instances at the same moment once, 40 times over', async () => {
    const url = await freshDatabase('race_link');
    const a = await PgStore.open({ url, pool: 4 });
    const b = await PgStore.open({ url, pool: 4 });
    open.push(a, b);
    for (let n = 1; n <= 40; n++) {
      const link = `https://news.example/race/${n}`;
      const fromA = item(n, { sourceId: 'a', key: `g:a${n}`, id: `tag:a/${n}`, canonicalLink: link });
      const fromB = item(n, { sourceId: 'b', key: `g:b${n}`, id: `tag:b/${n}`, canonicalLink: link });
      // Both dedupe against an empty view first (neither sees the other's item), then write at once.
      const [seenA, seenB] = await Promise.all([a.candidates('a', [fromA]), b.candidates('b', [fromB])]);
      const mergedA = mergeItems(seenA, 'a', [fromA], NOW, { titleWindowMs: WINDOW });
      const mergedB = mergeItems(seenB, 'b', [fromB], NOW, { titleWindowMs: WINDOW });
      expect(mergedA.added).toHaveLength(1);
      expect(mergedB.added).toHaveLength(1);
      const [wa, wb] = await Promise.all([a.write(batch('a', mergedA.added)), b.write(batch('b', mergedB.added))]);
      expect(wa.added.length + wb.added.length).toBe(1);
      expect(wa.joined.length + wb.joined.length).toBe(1);
    }
    expect(await a.count()).toBe(40);
    const { rows } = await a.pool.query<{ also: string[] }>(`SELECT item->'alsoIn' AS also FROM tributary_items`);
    for (const row of rows) expect(row.also).toHaveLength(1);
  });

  it('stores once a story whose title two portals syndicate, written by two instances at once (fingerprint)', async () => {
    const url = await freshDatabase('race_title');
    const a = await PgStore.open({ url, pool: 4 });
    const b = await PgStore.open({ url, pool: 4 });
    open.push(a, b);
    for (let n = 1; n <= 40; n++) {
      const fromA = item(n, { sourceId: 'a', key: `g:a${n}`, id: `tag:a/${n}`, link: `https://a.example/${n}`, fingerprint: `same story ${n}` });
      const fromB = item(n, { sourceId: 'b', key: `g:b${n}`, id: `tag:b/${n}`, link: `https://b.example/${n}`, fingerprint: `same story ${n}` });
      const [wa, wb] = await Promise.all([a.write(batch('a', [fromA])), b.write(batch('b', [fromB]))]);
      expect(wa.added.length + wb.added.length).toBe(1);
    }
    expect(await a.count()).toBe(40);
  });

  it('lets each instance store different stories side by side without losing any', async () => {
    const url = await freshDatabase('race_many');
    const instances = await Promise.all([0, 1, 2].map(() => PgStore.open({ url, pool: 4 })));
    open.push(...instances);
    await Promise.all(instances.map((store, k) => store.write(batch(`s${k}`, Array.from({ length: 200 }, (_, i) =>
      item(i, { sourceId: `s${k}`, key: `g:${i}`, id: `tag:s${k}/${i}`, canonicalLink: `https://s${k}.example/${i}`, fingerprint: `s${k} story ${i}` }))))));
    expect(await instances[0]!.countsBySource()).toEqual(new Map([['s0', 200], ['s1', 200], ['s2', 200]]));
  });
});
