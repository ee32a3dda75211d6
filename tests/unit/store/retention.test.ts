import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { retentionPolicy, selectPruning } from '../../../src/store/retention.ts';
import { plain } from '../../helpers/plain-text.ts';

const NOW = new Date('2025-03-31T00:00:00.000Z');

/** An item of `sourceId` published `daysAgo` days before NOW. */
function aged(sourceId: string, daysAgo: number): Item {
  const published = new Date(NOW.getTime() - daysAgo * 86_400_000).toISOString();
  return {
    id: `${sourceId}-${daysAgo}`, sourceId, key: `g:${daysAgo}`, title: plain(`${daysAgo} days old`), link: `https://x.example/${daysAgo}`,
    published, updated: published, firstSeen: published, categories: [], enclosures: [], alsoIn: [], hash: '',
  };
}

const ITEMS = [
  ...[1, 5, 10, 40, 100].map((d) => aged('news', d)),
  ...[2, 20, 200].map((d) => aged('blog', d)),
  ...[3, 300].map((d) => aged('gone', d)),
];

type Case = [string, Parameters<typeof retentionPolicy>, string[]];

const CASES: Case[] = [
  ['global count only: the newest N of each source', [{ maxItemsPerSource: 2 }, [{ id: 'news' }, { id: 'blog' }], false],
    ['news-10', 'news-40', 'news-100', 'blog-200']],
  ['global age: everything published longer ago, any source', [{ maxItemsPerSource: 500, maxAgeDays: 30 }, [{ id: 'news' }, { id: 'blog' }], false],
    ['news-40', 'news-100', 'blog-200', 'gone-300']],
  ['a source\'s own age overrides the global one', [{ maxItemsPerSource: 500, maxAgeDays: 30 }, [{ id: 'news', retention: { maxAgeDays: 7 } }, { id: 'blog', retention: { maxAgeDays: 365 } }], false],
    ['news-10', 'news-40', 'news-100', 'gone-300']],
  ['a source\'s own count, with the global age still applying', [{ maxItemsPerSource: 500, maxAgeDays: 60 }, [{ id: 'news', retention: { maxItemsPerSource: 1 } }, { id: 'blog' }], false],
    ['news-5', 'news-10', 'news-40', 'news-100', 'blog-200', 'gone-300']],
  ['the newest minItemsPerSource of a source stay whatever their age', [{ maxItemsPerSource: 500, maxAgeDays: 30, minItemsPerSource: 4 }, [{ id: 'news' }, { id: 'blog' }], false],
    ['news-100']],
  ['a source\'s own minimum overrides the global one', [{ maxItemsPerSource: 500, maxAgeDays: 30, minItemsPerSource: 4 }, [{ id: 'news', retention: { minItemsPerSource: 0 } }, { id: 'blog' }], false],
    ['news-40', 'news-100']],
  ['a removed source keeps its items under the global rules without --purge', [{ maxItemsPerSource: 500 }, [{ id: 'news' }, { id: 'blog' }], false],
    []],
  ['--purge drops every item of a removed source', [{ maxItemsPerSource: 500 }, [{ id: 'news' }, { id: 'blog' }], true],
    ['gone-3', 'gone-300']],
];

describe('retention', () => {
  it.each(CASES)('%s', (_name, args, dropped) => {
    const pruning = selectPruning(ITEMS, retentionPolicy(...args), NOW);
    expect([...pruning.drop].map((i) => i.id).sort()).toEqual([...dropped].sort());
  });

  it('counts what each rule dropped and names purged sources', () => {
    const pruning = selectPruning(ITEMS, retentionPolicy({ maxItemsPerSource: 4, maxAgeDays: 30 }, [{ id: 'news' }], true), NOW);
    // news: 100 days is the fifth newest (count), 40 days is past the age limit.
    expect({ byCount: pruning.byCount, byAge: pruning.byAge, purged: pruning.purged.sort() }).toEqual({
      byCount: 1, byAge: 1, purged: ['blog', 'gone'],
    });
  });
});
