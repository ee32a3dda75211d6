// A source's write to the PostgreSQL store is a fixed number of statements, not a few per item (each statement is a
// round trip the fetching instance waits for), and batching keeps what the database decides: a story two instances
// write at the same moment is stored once, whichever of its items' paths (link, title, key, id) it takes.
import { afterEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { Item } from '../../src/model.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import type { WriteBatch } from '../../src/store/store-api.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { sampleItem } from '../helpers/sample-items.ts';

const WINDOW = 48 * 3600_000;
const open: PgStore[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function openStore(url: string): Promise<PgStore> {
  const store = await PgStore.open({ url, pool: 4 });
  open.push(store);
  return store;
}

/** Counts the statements every connection of the store's pool sends from now on, BEGIN and COMMIT included. */
function countStatements(pool: pg.Pool): () => number {
  let sent = 0;
  const wrapped = new WeakSet<object>();
  pool.on('acquire', (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => {
      sent++;
      return query(...args);
    }) as typeof client.query;
  });
  return () => sent;
}

function batch(sourceId: string, added: Item[], updated: Item[] = []): WriteBatch {
  return { sourceId, added, updated, titleWindowMs: WINDOW, state: { id: sourceId, consecutiveFailures: 0, etag: `"${added.length}"` } };
}

const other = (n: number, fields: Partial<Item>) => sampleItem(n, { sourceId: 'other', key: `g:other-${n}`, id: `tag:other/${n}`, ...fields });
const mine = (n: number, fields: Partial<Item> = {}) => sampleItem(n, { sourceId: 'mine', key: `g:mine-${n}`, id: `tag:mine/${n}`, ...fields });

/**
 * A source's write where every path of the write is taken by `per` items each: new items, stories another source
 * stored under the same link and under the same title, items whose id another source's item took, items another
 * instance stored since dedupe looked (changed), and stored items updated.
 */
async function writeEveryPath(url: string, per: number) {
  const store = await openStore(url);
  const range = (from: number) => Array.from({ length: per }, (_, i) => from + i);
  await store.write(batch('other', [
    ...range(1000).map((n) => other(n, { canonicalLink: `https://news.example/link/${n}` })),
    ...range(2000).map((n) => other(n, { fingerprint: `title ${n}` })),
    ...range(3000).map((n) => other(n, { id: `tag:mine/${n}` })),
  ]));
  const stale = range(4000).map((n) => mine(n));
  const edited = range(5000).map((n) => mine(n));
  await store.write(batch('mine', [...stale, ...edited]));
  const revision = await store.revision();
  const fresh = [
    ...range(0).map((n) => mine(n, { canonicalLink: `https://mine.example/${n}`, fingerprint: `mine ${n}` })),
    ...range(1000).map((n) => mine(n, { canonicalLink: `https://news.example/link/${n}` })),
    ...range(2000).map((n) => mine(n, { fingerprint: `title ${n}` })),
    ...range(3000).map((n) => mine(n)),
    ...stale.map((i) => ({ ...i, hash: `${i.hash}-changed` })),
  ];
  const count = countStatements(store.pool);
  const result = await store.write(batch('mine', fresh, edited.map((i) => ({ ...i, title: `${i.title} (edited)` as Item['title'], hash: `${i.hash}-edited` }))));
  return { store, result, statements: count(), journalled: (await store.changesSince(revision))!.length };
}

describe('a source\'s write to the PostgreSQL store', () => {
  it('takes the same few statements for 5 items of each kind as for 100, and decides each item as before', async () => {
    const small = await writeEveryPath(await freshDatabase('write_batch_5'), 5);
    const large = await writeEveryPath(await freshDatabase('write_batch_100'), 100);
    expect(large.statements).toBe(small.statements);
    // BEGIN, fingerprint locks, same titles, insert, same keys, insert under a distinct id, link claims, link
    // owners, drop the rows of joined stories, lock the updated items, write the changed rows, journal, state,
    // COMMIT: one each, whatever the count.
    expect(large.statements).toBeLessThanOrEqual(14);
    for (const [per, { store, result, journalled }] of [[5, small], [100, large]] as const) {
      expect(result.added).toHaveLength(2 * per);
      expect(result.added.filter((i) => i.id.startsWith('tag:mine/3') && i.id.includes('#'))).toHaveLength(per);
      expect(result.joined).toHaveLength(2 * per);
      expect(result.joined.every((j) => j.storedId.startsWith('tag:other/'))).toBe(true);
      expect(result.updated).toHaveLength(2 * per);
      // added and updated, and one change per joined story (its alsoIn)
      expect(journalled).toBe(6 * per);
      const counts = await store.countsBySource();
      expect(counts).toEqual(new Map([['mine', 4 * per], ['other', 3 * per]]));
      const { rows } = await store.pool.query<{ also: string[] }>(`SELECT item->'alsoIn' AS also FROM tributary_items WHERE source_id = 'other' AND item->'alsoIn' <> '[]'`);
      expect(rows).toHaveLength(2 * per);
      expect((await store.item('tag:mine/5000'))?.title).toBe('Story 5000 (edited)');
      expect((await store.sourceState('mine')).etag).toBe(`"${5 * per}"`);
      // a fetch pass reads its batch's states at once; a source never stored has none
      const states = await store.sourceStatesOf(['mine', 'other', 'never']);
      expect([...states.keys()].sort()).toEqual(['mine', 'other']);
      expect(states.get('mine')?.etag).toBe(`"${5 * per}"`);
    }
  });

  it('stores each story two instances write at once in overlapping batches once, by link and by title', async () => {
    const url = await freshDatabase('write_batch_race');
    const [a, b] = [await openStore(url), await openStore(url)];
    const stories = 40;
    for (let round = 0; round < 8; round++) {
      const base = round * 1000;
      // The same stories (half by link, half by title) from a and b, in opposite orders, plus each one's own.
      const items = (source: string) => Array.from({ length: stories }, (_, i) => sampleItem(base + i, {
        sourceId: source, key: `g:${source}-${base + i}`, id: `tag:${source}/${base + i}`, link: `https://${source}.example/${base + i}`,
        ...(i % 2 === 0 ? { canonicalLink: `https://news.example/story/${base + i}` } : { fingerprint: `shared title ${base + i}` }),
      }));
      const own = (source: string) => Array.from({ length: 10 }, (_, i) => sampleItem(base + 500 + i, {
        sourceId: source, key: `g:${source}-own-${base + i}`, id: `tag:${source}/own-${base + i}`, canonicalLink: `https://${source}.example/own/${base + i}`,
      }));
      const [wa, wb] = await Promise.all([
        a.write(batch('a', [...items('a'), ...own('a')])),
        b.write(batch('b', [...own('b'), ...items('b').reverse()])),
      ]);
      expect(wa.added.length + wb.added.length).toBe(stories + 20);
      expect(wa.joined.length + wb.joined.length).toBe(stories);
    }
    expect(await a.count()).toBe(8 * (stories + 20));
    const { rows } = await a.pool.query<{ also: string[]; n: string }>(
      `SELECT item->'alsoIn' AS also, count(*) AS n FROM tributary_items GROUP BY 1 ORDER BY 1`,
    );
    // each shared story lists the other source once; each source's own items list nobody
    const bySet = Object.fromEntries(rows.map((r) => [JSON.stringify(r.also), Number(r.n)]));
    expect(bySet['[]']).toBe(8 * 20);
    expect((bySet['["a"]'] ?? 0) + (bySet['["b"]'] ?? 0)).toBe(8 * stories);
  });
});
