import { describe, expect, it } from 'vitest';
import { FeedPageNotFoundError } from '../../../src/render/errors.ts';
import { ComposedFeeds } from '../../../src/render/composed-feeds.ts';
import { parseFeedQuery } from '../../../src/render/feed-query.ts';
import type { SiteInfo } from '../../../src/render/feed-specs.ts';
import type { RenderedFeed } from '../../../src/render/render-feed.ts';
import type { Item } from '../../../src/model.ts';
import { atomEntries, lintAtom } from '../../helpers/feed-lint.ts';
import { sampleContext, sampleItem, sampleItems } from '../../helpers/sample-items.ts';
import { plain } from '../../helpers/plain-text.ts';

const query = (search: string) => parseFeedQuery(new URLSearchParams(search))!;
const SITE: SiteInfo = {
  title: plain('Wire'), baseUrl: 'http://feeds.example.org', limit: 3,
  sources: [{ id: 'world', url: 'https://world.example.com/rss', tags: ['world', 'news'], enabled: true }],
};

function composed(items: Item[] = sampleItems(10), site: SiteInfo = SITE) {
  const feeds = new ComposedFeeds();
  feeds.refresh({ items, site, ctx: sampleContext() });
  return feeds;
}
const ids = (body: Buffer) => atomEntries(body.toString()).map((e) => e.id);
/** A page view is made at once: only a filter runs in slices and answers later. */
const made = (view: RenderedFeed | Promise<RenderedFeed> | undefined): RenderedFeed | undefined => {
  expect(view).not.toBeInstanceOf(Promise);
  return view as RenderedFeed | undefined;
};

describe('ComposedFeeds: pages and filtered views', () => {
  it('serves page 2 with the next older items, under the canonical path whatever the order of the tags', () => {
    const feeds = composed();
    const page = made(feeds.view('tags/world+news', 'atom', query('page=2')))!;
    expect(ids(page.body)).toEqual([7, 6, 5].map((n) => sampleItem(n).id));
    const body = page.body.toString();
    expect(lintAtom(body, { location: 'http://feeds.example.org/feeds/tags/news%2Bworld.atom?page=2' })).toEqual([]);
    expect(body).toContain('<link rel="next" href="http://feeds.example.org/feeds/tags/news%2Bworld.atom?page=3"/>');
    expect(body).toContain('<link rel="last" href="http://feeds.example.org/feeds/tags/news%2Bworld.atom?page=4"/>');
    expect(feeds.view('tags/news+world', 'atom', query('page=2'))).toBe(page);
    expect(feeds.viewsRendered).toBe(1);
  });

  it('answers undefined for an unknown tag, a plain tag and a malformed query', () => {
    const feeds = composed();
    expect(feeds.view('tags/world+nope', 'atom', query('page=2'))).toBeUndefined();
    expect(feeds.view('tags/world', 'atom', query('page=2'))).toBeUndefined();
    expect(feeds.view('tags/world+', 'atom', query('page=2'))).toBeUndefined();
    expect(feeds.viewsRendered).toBe(0);
  });

  it('answers a page past the last with FeedPageNotFoundError, remembered rather than worked out again', () => {
    const feeds = composed();
    const refusal = () => {
      try {
        feeds.view('tags/news,world', 'atom', query('page=5'));
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const first = refusal();
    expect(first).toBeInstanceOf(FeedPageNotFoundError);
    expect((first as Error).message).toBe('feed tags/news,world has 4 pages; there is no page 5');
    expect(refusal()).toBe(first);
  });

  it('keeps a page after a refresh that changed nothing, and renders it again when an item deep in the feed changed', () => {
    const feeds = composed();
    const first = made(feeds.view('tags/news+world', 'rss', query('page=3')))!;
    const pageOne = feeds.get('tags/news+world', 'rss')!;
    feeds.refresh({ items: sampleItems(10), site: SITE, ctx: sampleContext() });
    expect(feeds.view('tags/news+world', 'rss', query('page=3'))).toBe(first);
    // Item 3 is on page 3, not on page 1: page 1 keeps its bytes, page 3 is stale.
    feeds.refresh({ items: sampleItems(10).map((i) => (i.key === 'g:3' ? { ...i, title: plain('Edited'), hash: 'edited' } : i)), site: SITE, ctx: sampleContext() });
    expect(feeds.get('tags/news+world', 'rss')).toBe(pageOne);
    const again = made(feeds.view('tags/news+world', 'rss', query('page=3')))!;
    expect(again.etag).not.toBe(first.etag);
    expect(again.body.toString()).toContain('Edited');
    expect(feeds.viewsRendered).toBe(2);
  });

  it('pages by the configured limit of the latest refresh', () => {
    const feeds = composed();
    expect(ids(made(feeds.view('tags/news+world', 'atom', query('page=2')))!.body)).toHaveLength(3);
    feeds.refresh({ items: sampleItems(10), site: { ...SITE, limit: 4 }, ctx: sampleContext() });
    expect(ids(made(feeds.view('tags/news+world', 'atom', query('page=2')))!.body)).toEqual([6, 5, 4, 3].map((n) => sampleItem(n).id));
  });

  it('gives a filtered composed feed its own id, self link and ETag', async () => {
    const feeds = composed(sampleItems(10, (n) => (n === 4 ? { title: plain('Climate pledge') } : {})));
    const filtered = (await feeds.view('tags/world,news', 'atom', query('filter=climate')))!;
    const body = filtered.body.toString();
    expect(atomEntries(body).map((e) => e.title)).toEqual(['Climate pledge']);
    expect(body).toContain('<id>http://feeds.example.org/feeds/tags/news%2Cworld.atom?filter=climate</id>');
    expect(body).toContain('<link rel="self" href="http://feeds.example.org/feeds/tags/news%2Cworld.atom?filter=climate"/>');
    expect(filtered.etag).not.toBe(feeds.get('tags/news,world', 'atom')!.etag);
  });
});
