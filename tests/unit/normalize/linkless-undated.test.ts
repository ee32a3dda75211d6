// Items a document gives no link or no date: where they point, and when they were seen.
import { describe, expect, it } from 'vitest';
import { mergeItems, type StoredItems } from '../../../src/dedupe/merge.ts';
import type { Item } from '../../../src/model.ts';
import { TRACKING_PARAMS } from '../../../src/normalize/urls.ts';
import { readDocument } from '../../../src/read-document.ts';

const FEED_URL = 'https://blog.example.org/feeds/all.rss';
const ctx = (now: string) => ({
  sourceId: 'blog', url: FEED_URL, documentUrl: FEED_URL, timezone: 'UTC', now: new Date(now),
  idAuthority: 'tributary.test', trackingParams: TRACKING_PARAMS,
});
const rss = (channelLink: string, items: string) => `<rss version="2.0"><channel><title>Blog</title>${channelLink}${items}</channel></rss>`;

describe('an item without a link', () => {
  it.each([
    ['links to the channel link, the home page', '<link>https://blog.example.org/home</link>', 'https://blog.example.org/home'],
    ['links to the site root when the channel has no link', '', 'https://blog.example.org/'],
    ['links to the site root, never the feed, when the channel names its own feed as its link', `<link>${FEED_URL}</link>`, 'https://blog.example.org/'],
  ])('%s', async (_name, channelLink, expected) => {
    const { items } = await readDocument(rss(channelLink, '<item><title>No link</title><guid isPermaLink="false">n1</guid></item>'), ctx('2026-12-06T03:00:00Z'));
    expect(items[0]!.link).toBe(expected);
    expect(items[0]!.link).not.toBe(FEED_URL);
  });
});

describe('undated items of one fetch', () => {
  const doc = rss('<link>https://blog.example.org/</link>', ['a', 'b', 'c', 'd'].map((g, i) => `<item><title>${g}</title><guid isPermaLink="false">${g}</guid>`
    + `<link>https://blog.example.org/${g}</link>${i === 1 ? '<pubDate>Sat, 05 Dec 2026 10:00:00 GMT</pubDate>' : ''}</item>`).join(''));

  it('get distinct times 1 ms apart in document order, the first the latest; a dated item keeps its date', async () => {
    const { items } = await readDocument(doc, ctx('2026-12-06T03:00:00.000Z'));
    expect(items.map((i) => [i.title, i.published, i.updated, i.undated ?? false])).toEqual([
      ['a', '2026-12-06T03:00:00.000Z', '2026-12-06T03:00:00.000Z', true],
      ['b', '2026-12-05T10:00:00.000Z', '2026-12-05T10:00:00.000Z', false],
      ['c', '2026-12-06T02:59:59.999Z', '2026-12-06T02:59:59.999Z', true],
      ['d', '2026-12-06T02:59:59.998Z', '2026-12-06T02:59:59.998Z', true],
    ]);
  });

  it('keep the times first stored when the document is read again later (after a restart)', async () => {
    const first = await readDocument(doc, ctx('2026-12-06T03:00:00.000Z'));
    const stored = new Map(mergeItems(nothingStored(), 'blog', first.items, new Date('2026-12-06T03:00:00.000Z')).added.map((i) => [i.key, i]));
    const again = await readDocument(doc, ctx('2026-12-06T09:30:00.000Z'));
    const merged = mergeItems(storedFrom(stored), 'blog', again.items, new Date('2026-12-06T09:30:00.000Z'));
    expect(merged).toMatchObject({ added: [], updated: [], unchanged: 4 });
  });
});

function nothingStored(): StoredItems {
  return storedFrom(new Map());
}

function storedFrom(byKey: Map<string, Item>): StoredItems {
  const items = [...byKey.values()];
  return {
    bySourceKey: (_source, key) => byKey.get(key),
    byCanonicalLink: (link) => items.find((i) => i.canonicalLink === link),
    byFingerprint: (fp) => items.filter((i) => i.fingerprint === fp),
    hasId: (id) => items.some((i) => i.id === id),
  };
}
