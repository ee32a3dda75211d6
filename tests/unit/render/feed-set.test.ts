import { describe, expect, it } from 'vitest';
import { FeedPageNotFoundError } from '../../../src/render/errors.ts';
import { parseFeedQuery } from '../../../src/render/feed-query.ts';
import { FeedSet } from '../../../src/render/feed-set.ts';
import type { RenderedFeed } from '../../../src/render/render-feed.ts';
import { atomEntries, lintAtom } from '../../helpers/feed-lint.ts';
import { sampleContext, sampleItem, sampleItems, sampleSpec } from '../../helpers/sample-items.ts';
import { plain as text } from '../../helpers/plain-text.ts';

const query = (search: string) => parseFeedQuery(new URLSearchParams(search))!;
/** A page, limit or since view is made at once: only a filter runs in slices and answers later. */
const made = (view: RenderedFeed | Promise<RenderedFeed> | undefined): RenderedFeed | undefined => {
  expect(view).not.toBeInstanceOf(Promise);
  return view as RenderedFeed | undefined;
};

describe('FeedSet: pages and filtered views', () => {
  it('walks back through every item exactly once by following rel="next"', () => {
    const all = sampleItems(23);
    const set = new FeedSet();
    set.update([sampleSpec(all, {}, 5)], sampleContext(), 5);
    const seen: string[] = [];
    let body = set.get('sources/world', 'atom')!.body.toString();
    for (let hops = 0; hops < 10; hops++) {
      expect(lintAtom(body)).toEqual([]);
      seen.push(...atomEntries(body).map((e) => e.id));
      const next = /<link rel="next" href="[^"]*\?([^"]*)"\/>/.exec(body);
      if (!next) break;
      body = made(set.view('sources/world', 'atom', query(next[1]!.replaceAll('&amp;', '&'))))!.body.toString();
    }
    expect(seen).toEqual(all.map((i) => i.id));
  });

  it('renders a page once and serves it from the cache until the feed changes', () => {
    const set = new FeedSet();
    const ctx = sampleContext();
    set.update([sampleSpec(sampleItems(10), {}, 3)], ctx, 3);
    const first = made(set.view('sources/world', 'rss', query('page=2')))!;
    expect(set.view('sources/world', 'rss', query('page=2'))).toBe(first);
    expect(set.viewsRendered).toBe(1);
    // An unrelated re-render of the same items keeps the cached page.
    set.update([sampleSpec(sampleItems(10), {}, 3)], ctx, 3);
    expect(set.view('sources/world', 'rss', query('page=2'))).toBe(first);
    // A change deep in the feed (not on page 1) makes the page stale.
    const changed = sampleItems(10).map((i) => (i.key === 'g:5' ? { ...i, title: text('Edited'), hash: 'edited' } : i));
    expect(set.update([sampleSpec(changed, {}, 3)], ctx, 3)).toEqual([]);
    const again = made(set.view('sources/world', 'rss', query('page=2')))!;
    expect(again).not.toBe(first);
    expect(again.body.toString()).toContain('Edited');
    expect(again.etag).not.toBe(first.etag);
  });

  it('pages by the configured limit of the latest update, not from pages cached under the old one', () => {
    const set = new FeedSet();
    const ctx = sampleContext();
    set.update([sampleSpec(sampleItems(10), {}, 3)], ctx, 3);
    expect(atomEntries(made(set.view('sources/world', 'atom', query('page=2')))!.body.toString())).toHaveLength(3);
    set.update([sampleSpec(sampleItems(10), {}, 4)], ctx, 4);
    const page = atomEntries(made(set.view('sources/world', 'atom', query('page=2')))!.body.toString());
    expect(page.map((e) => e.id)).toEqual([6, 5, 4, 3].map((n) => sampleItem(n).id));
  });

  it('gives a filtered feed its own id, self link and ETag', async () => {
    const set = new FeedSet();
    set.update([sampleSpec([sampleItem(2, { title: text('Climate pledge') }), sampleItem(1)])], sampleContext(), 50);
    const plain = set.get('sources/world', 'atom')!;
    const filtered = (await set.view('sources/world', 'atom', query('filter=climate')))!;
    expect(filtered.etag).not.toBe(plain.etag);
    const body = filtered.body.toString();
    expect(atomEntries(body).map((e) => e.title)).toEqual(['Climate pledge']);
    expect(body).toContain('<id>http://feeds.example.org/feeds/sources/world.atom?filter=climate</id>');
    expect(body).toContain('<link rel="self" href="http://feeds.example.org/feeds/sources/world.atom?filter=climate"/>');
    expect(lintAtom(body, { location: 'http://feeds.example.org/feeds/sources/world.atom?filter=climate' })).toEqual([]);
  });

  it('makes a filtered view later, in one pass that requests arriving meanwhile share, then serves it at once', async () => {
    const set = new FeedSet();
    set.update([sampleSpec(sampleItems(200, (n) => (n % 3 === 0 ? { title: text(`Climate ${n}`) } : {})))], sampleContext(), 50);
    const first = set.view('sources/world', 'rss', query('filter=climate'));
    const second = set.view('sources/world', 'rss', query('filter=climate'));
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBe(first);
    const made = (await first)!;
    expect(set.viewsRendered).toBe(1);
    expect(set.view('sources/world', 'rss', query('filter=climate'))).toBe(made);
    expect(made.body.toString().match(/<item>/g)).toHaveLength(50);
  });

  it('keeps only items updated since the given instant', () => {
    const set = new FeedSet();
    set.update([sampleSpec(sampleItems(5))], sampleContext(), 50);
    const since = sampleItem(3).updated;
    const body = made(set.view('sources/world', 'json', query(`since=${since}`)))!.body.toString();
    expect(JSON.parse(body).items.map((i: { id: string }) => i.id)).toEqual([5, 4, 3].map((n) => sampleItem(n).id));
  });

  it('answers a page past the last with FeedPageNotFoundError, an unknown feed with undefined', () => {
    const set = new FeedSet();
    set.update([sampleSpec(sampleItems(4), {}, 2)], sampleContext(), 2);
    const refusal = (search: string) => {
      try {
        set.view('sources/world', 'atom', query(search));
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const first = refusal('page=3');
    expect(first).toBeInstanceOf(FeedPageNotFoundError);
    expect(refusal('page=3')).toBe(first); // remembered, not worked out again
    expect(set.view('sources/nope', 'atom', query('page=1'))).toBeUndefined();
  });
});

describe('FeedSet: a failing source\'s outage item', () => {
  it('serves the outage item as it is now (its error and count), as a fresh render does, though its id and date stay', () => {
    // An outage item carries no content hash (hash ''): its title and summary change with each failed fetch.
    const outage = (count: number, reason: string) => sampleItem(30, {
      id: 'tag:feeds.example.org,2025-01-02:world/fetch-error', key: 'error:2025-01-02', hash: '',
      title: text(`源 World Wire 抓取失败: ${reason}`), summary: `<p>连续 ${count} 次</p>`,
    });
    const ctx = sampleContext();
    const set = new FeedSet();
    set.update([sampleSpec([outage(1, 'HTTP 502'), ...sampleItems(4)], {}, 3)], ctx, 3);
    const later = sampleSpec([outage(3, 'timeout'), ...sampleItems(4)], {}, 3);
    expect(set.update([later], ctx, 3)).toEqual(['sources/world']);
    const fresh = new FeedSet();
    fresh.update([later], ctx, 3);
    expect(set.get('sources/world', 'atom')!.body.toString()).toBe(fresh.get('sources/world', 'atom')!.body.toString());
    expect(set.get('sources/world', 'atom')!.body.toString()).toContain('连续 3 次');
    expect(made(set.view('sources/world', 'atom', query('limit=2')))!.body.toString()).toContain('timeout');
  });
});
