import type { Item } from '../../src/model.ts';
import type { RenderContext } from '../../src/render/render-feed.ts';
import type { FeedSpec } from '../../src/render/feed-specs.ts';
import { plain } from './plain-text.ts';

/** A stored item as normalize/ would make it; `n` orders them (higher is newer). */
export function sampleItem(n: number, fields: Partial<Item> = {}): Item {
  const day = new Date(Date.UTC(2025, 0, 1) + n * 3_600_000).toISOString();
  return {
    id: `tag:tributary.test,2025-01-01:world/${n}`,
    sourceId: 'world',
    key: `g:${n}`,
    title: plain(`Story ${n}`),
    link: `https://world.example.com/story/${n}?a=1&b=2`,
    published: day,
    updated: day,
    firstSeen: day,
    summary: `<p>Summary of story ${n}</p>`,
    categories: [],
    enclosures: [],
    alsoIn: [],
    hash: `hash-${n}`,
    ...fields,
  };
}

/** Items n = count..1, newest first, as feed specs hold them. */
export function sampleItems(count: number, fields: (n: number) => Partial<Item> = () => ({})): Item[] {
  return Array.from({ length: count }, (_, i) => sampleItem(count - i, fields(count - i)));
}

export function sampleSpec(all: Item[], fields: Partial<FeedSpec> = {}, limit = 50): FeedSpec {
  return { path: 'sources/world', kind: 'source', name: 'world', title: plain('Wire · World'), description: plain('Items of World'), items: all.slice(0, limit), all, ...fields };
}

export function sampleContext(fields: Partial<RenderContext> = {}): RenderContext {
  return {
    baseUrl: 'http://feeds.example.org',
    sources: new Map([['world', { title: plain('World Wire'), url: 'https://world.example.com/rss?x=1&y=2', link: 'https://world.example.com/' }]]),
    tagsOf: new Map([['world', ['world', 'news']]]),
    hubs: [],
    stylesheet: '/feeds/style.xsl',
    ...fields,
  };
}
