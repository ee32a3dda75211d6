import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { retentionPolicy } from '../../../src/store/retention.ts';
import { ItemStore } from '../../../src/store/store.ts';
import { plain } from '../../helpers/plain-text.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-store-changes-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function item(n: number, fields: Partial<Item> = {}): Item {
  const at = new Date(Date.UTC(2025, 2, 9, n)).toISOString();
  return {
    id: `tag:tributary.example,2025-03-09:wire/${n}`, sourceId: 'wire', key: `g:${n}`, title: plain(`Story ${n}`),
    link: `https://wire.example/${n}`, published: at, updated: at, firstSeen: at, categories: [], enclosures: [], alsoIn: [], hash: `h${n}`,
    ...fields,
  };
}

describe('ItemStore.changesSince', () => {
  it('tells the items added, replaced and pruned since a revision, in order, once', async () => {
    const store = await ItemStore.open(dir);
    const start = store.revision;
    const [a, b, c] = [item(1), item(2), item(3)];
    store.apply([a, b], []);
    const edited = { ...a, title: plain('Edited'), hash: 'h1e' };
    store.apply([c], [edited]);
    store.prune(retentionPolicy({ maxItemsPerSource: 2 }, [{ id: 'wire' }], false), new Date('2025-03-10T00:00:00Z'));
    expect(store.changesSince(start)).toEqual([{ after: a }, { after: b }, { before: a, after: edited }, { after: c }, { before: edited }]);
    const now = store.revision;
    expect(store.changesSince(now)).toEqual([]);
    store.apply([item(4)], []);
    expect(store.changesSince(now)).toEqual([{ after: item(4) }]);
    // What the reader moved past is forgotten.
    expect(store.changesSince(start)).toBeNull();
  });

  it('cannot tell across a rollback: the reader reads every item again', async () => {
    const store = await ItemStore.open(dir);
    store.apply([item(1)], []);
    await store.commit();
    const seen = store.revision;
    store.apply([item(2)], []);
    store.rollback();
    expect(store.changesSince(seen)).toBeNull();
    const after = store.revision;
    store.apply([item(3)], []);
    expect(store.changesSince(after)).toEqual([{ after: item(3) }]);
  });
});

describe('ItemStore.countsBySource', () => {
  it('equals a count over the stored items after adds, updates, prunes, purges and a rollback', async () => {
    const store = await ItemStore.open(dir);
    const walk = () => {
      const counts = new Map<string, number>();
      for (const stored of store.items()) counts.set(stored.sourceId, (counts.get(stored.sourceId) ?? 0) + 1);
      return counts;
    };
    const news = (n: number) => item(n, { id: `tag:tributary.example,2025-03-09:news/${n}`, sourceId: 'news', key: `n:${n}` });
    store.apply([item(1), item(2), item(3), news(1), news(2)], []);
    expect(store.countsBySource()).toEqual(new Map([['wire', 3], ['news', 2]]));
    await store.commit();
    store.apply([news(3)], [{ ...item(2), title: plain('Edited'), hash: 'h2e' }]);
    expect(store.countsBySource()).toEqual(walk());
    store.prune(retentionPolicy({ maxItemsPerSource: 1 }, [{ id: 'wire' }, { id: 'news' }], false), new Date('2025-03-10T00:00:00Z'));
    expect(store.countsBySource()).toEqual(new Map([['wire', 1], ['news', 1]]));
    expect(store.countsBySource()).toEqual(walk());
    // A source dropped from the config: its items are purged and it is no longer counted, not counted as 0.
    store.prune(retentionPolicy({ maxItemsPerSource: 10 }, [{ id: 'wire' }], true), new Date('2025-03-10T00:00:00Z'));
    expect(store.countsBySource()).toEqual(new Map([['wire', 1]]));
    store.rollback();
    expect(store.countsBySource()).toEqual(new Map([['wire', 3], ['news', 2]]));
    expect(store.countsBySource()).toEqual(walk());
  });
});
