// Composed tag feeds (a+b, a,b) take every query parameter a plain feed takes, through the real service.
// What a composition should hold is read from the plain tag feeds, so the composed machinery is not its own oracle.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintAtom, lintJsonFeed, lintRss } from '../helpers/feed-lint.ts';
import { readFeed } from '../helpers/feed-reader.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { fixture, sampleConfigText, serveSampleFeeds, SITE_BASE, startSampleSite, type SampleSite } from '../helpers/sample-site.ts';
import { BAD_FEED_QUERIES } from '../helpers/bad-queries.ts';

const FORMATS = ['atom', 'rss', 'json'] as const;
const LINT = { atom: lintAtom, rss: lintRss, json: lintJsonFeed };
/** The canonical URL of a composed feed: its tags in one order, written as the feed's own links write them. */
const canonical = (key: string, format: string, query = '') => `${SITE_BASE}/feeds/tags/${encodeURIComponent(key)}.${format}${query}`;
const AND = canonical('news+world', 'atom');
const OR = canonical('tech,新闻', 'atom');

describe('composed tag feeds with pages, limits and filters, as readers use them', () => {
  const fx = new FixtureServer();
  let site: SampleSite;

  beforeAll(async () => {
    await fx.start();
    serveSampleFeeds(fx);
    site = await startSampleSite(sampleConfigText(fx)); // limit 2
    await site.app.runCycle();
  });

  afterAll(async () => {
    await site?.app.close();
    await fx.stop();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${site.base}${path}`, { headers });
  const read = async (path: string) => {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    return readFeed(await res.text());
  };
  const ids = async (path: string) => (await read(path)).entries.map((e) => e.id);
  /** Every item of the composition, newest first, from the plain feeds: latest for the order, tag feeds for membership. */
  const composition = async (tags: string[], every: boolean) => {
    const order = await ids('/feeds/latest.atom?limit=500');
    const members = await Promise.all(tags.map(async (tag) => new Set(await ids(`/feeds/tags/${encodeURIComponent(tag)}.atom?limit=500`))));
    return order.filter((id) => (every ? members.every((m) => m.has(id)) : members.some((m) => m.has(id))));
  };

  it('serves page 2 of an a+b composition with exactly its older items, linking first, previous and last', async () => {
    const all = await composition(['world', 'news'], true);
    expect(all).toHaveLength(3);
    for (const format of FORMATS) {
      const page = await read(`/feeds/tags/world+news.${format}?page=2`);
      expect(page.entries.map((e) => e.id), format).toEqual(all.slice(2));
      if (format === 'json') {
        expect(page.links).toEqual({ self: canonical('news+world', format, '?page=2') });
        continue;
      }
      expect(page.links, format).toMatchObject({
        self: canonical('news+world', format, '?page=2'),
        first: canonical('news+world', format),
        previous: canonical('news+world', format),
        last: canonical('news+world', format, '?page=2'),
      });
      expect(page.links.next, format).toBeUndefined();
    }
    expect((await read('/feeds/tags/world+news.atom?page=2')).entries.map((e) => e.title)).toEqual(['Storm warning for the coast']);
  });

  it('serves page 2 of an a,b composition with exactly its older items, linking first, previous, next and last', async () => {
    const all = await composition(['tech', '新闻'], false);
    expect(all).toHaveLength(5);
    const page = await read(`/feeds/tags/${encodeURIComponent('新闻')},tech.atom?page=2`);
    expect(page.entries.map((e) => e.id)).toEqual(all.slice(2, 4));
    expect(page.links).toMatchObject({
      self: `${OR}?page=2`, first: OR, previous: OR, next: `${OR}?page=3`, last: `${OR}?page=3`,
    });
    const rss = await read(`/feeds/tags/tech,${encodeURIComponent('新闻')}.rss?page=2`);
    expect(rss.entries.map((e) => e.id)).toEqual(all.slice(2, 4));
    expect(rss.links.next).toBe(canonical('tech,新闻', 'rss', '?page=3'));
  });

  it('lets a reader that was away walk a composed feed back through every item exactly once by its next links', async () => {
    for (const [tags, every, path] of [[['world', 'news'], true, 'world+news'], [['tech', '新闻'], false, `tech,${encodeURIComponent('新闻')}`]] as const) {
      const all = await composition([...tags], every);
      for (const format of FORMATS) {
        const seen: string[] = [];
        let url: string | undefined = `${site.base}/feeds/tags/${path}.${format}`;
        for (let hops = 0; url && hops < 10; hops++) {
          const res = await fetch(url);
          expect(res.status, url).toBe(200);
          const feed = readFeed(await res.text());
          seen.push(...feed.entries.map((e) => e.id));
          url = feed.links.next ? site.local(feed.links.next) : undefined;
        }
        expect(seen, `${path}.${format}`).toEqual(all);
      }
    }
  });

  it('names the composed path in canonical form in the self link, the id and the page links, whatever order or escaping it came in', async () => {
    const rendered = site.app.composed.viewsRendered;
    const bodies = await Promise.all(['news+world', 'world+news', 'world%2Bnews', 'news+world+news'].map(async (path) => {
      const res = await get(`/feeds/tags/${path}.atom?page=2&limit=1`);
      expect(res.status, path).toBe(200);
      return { etag: res.headers.get('etag'), body: await res.text() };
    }));
    expect(new Set(bodies.map((b) => b.etag)).size).toBe(1);
    expect(new Set(bodies.map((b) => b.body)).size).toBe(1);
    expect(site.app.composed.viewsRendered).toBe(rendered + 1);
    const pageOne = await (await get('/feeds/tags/world+news.atom')).text();
    const feedId = (xml: string) => /<feed[^>]*>[\s\S]*?<id>([^<]*)<\/id>/.exec(xml)?.[1];
    // The composed feed keeps the id it had before it took queries; a page shares the id of its query's page 1.
    expect(feedId(pageOne)).toBe(AND);
    expect(feedId(bodies[0]!.body)).toBe(`${AND}?limit=1`);
    expect(feedId(await (await get('/feeds/tags/world+news.atom?limit=1')).text())).toBe(`${AND}?limit=1`);
    expect(bodies[0]!.body).toContain(`<link rel="self" href="${AND}?limit=1&amp;page=2"/>`);
    expect(bodies[0]!.body).toContain(`<link rel="next" href="${AND}?limit=1&amp;page=3"/>`);
  });

  it('serves every page and filtered view of composed feeds valid against the W3C rules, self link included', async () => {
    for (const key of ['news+world', 'tech,新闻']) {
      for (const format of FORMATS) {
        for (const query of ['?page=2', '?limit=500', '?filter=a&since=2025-01-01', '?filterout=storm&limit=1&page=2']) {
          const path = `/feeds/tags/${encodeURIComponent(key)}.${format}${query}`;
          const res = await get(path);
          expect(res.status, path).toBe(200);
          expect(LINT[format](await res.text(), { location: canonical(key, format, query) }), path).toEqual([]);
        }
      }
    }
  });

  it('filters a composed feed by substring, /regex/, filterout and since, as a filtered feed of its own', async () => {
    const titles = async (query: string) => (await read(`/feeds/tags/tech,${encodeURIComponent('新闻')}.json${query}`)).entries.map((e) => e.title);
    expect(await titles('?filter=CLIMATE')).toEqual(['Summit ends with climate pledge & a <surprise>']);
    expect(await titles('?filter=/^(storm|新能源)/&limit=50')).toEqual(['新能源汽车3月销量创新高']);
    const all = await composition(['tech', '新闻'], false);
    expect(await titles('?filterout=/climate|汽车/&limit=50')).toHaveLength(all.length - 2);
    const updated = new Map(site.app.store.items().map((item) => [item.id, item.updated]));
    const since = '2025-03-09T10:00:00Z';
    expect(await ids(`/feeds/tags/tech,${encodeURIComponent('新闻')}.json?since=${since}&limit=50`))
      .toEqual(all.filter((id) => updated.get(id)! >= '2025-03-09T10:00:00.000Z'));
    const plain = await get('/feeds/tags/tech,新闻.atom');
    const filtered = await get('/feeds/tags/tech,新闻.atom?filter=climate');
    expect(filtered.headers.get('etag')).not.toBe(plain.headers.get('etag'));
    const body = await filtered.text();
    expect(body).toContain(`<id>${OR}?filter=climate</id>`);
    expect(body).toContain(`<link rel="self" href="${OR}?filter=climate"/>`);
  });

  it.each([
    ...BAD_FEED_QUERIES,
    ['?page=99', 404, 'feed tags/tech,新闻 has 3 pages; there is no page 99'],
    ['?page=4', 404, 'has 3 pages; there is no page 4'],
    ['?filter=climate&page=2', 404, 'has 1 page; there is no page 2'],
  ])('answers %s on a composed feed with %i and says why', async (query, status, message) => {
    for (const path of ['tech,新闻', `${encodeURIComponent('新闻')}%2Ctech`]) {
      const res = await get(`/feeds/tags/${path}.atom${query}`);
      expect(res.status, path).toBe(status);
      expect(await res.text(), path).toContain(message);
    }
  });

  it('answers 404 for a page or filtered view of a composition naming an unknown tag, or malformed', async () => {
    for (const path of ['world+nope.atom?page=2', 'nope,tech.rss?filter=a', 'world+.atom?limit=1', 'world,,news.json?page=2']) {
      const res = await get(`/feeds/tags/${path}`);
      expect(res.status, path).toBe(404);
    }
  });

  it('renders a page of a composed feed once: a repeat gets the same bytes and ETag, If-None-Match a 304, and nothing renders again', async () => {
    const first = await get('/feeds/tags/world+news.rss?page=3&limit=1');
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    const body = await first.text();
    const rendered = site.app.composed.viewsRendered;
    const renders = site.app.composed.renderCount;
    const again = await get('/feeds/tags/news+world.rss?limit=1&page=3&_=cachebuster');
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe(body);
    expect((await get('/feeds/tags/world+news.rss?page=3&limit=1', { 'if-none-match': etag })).status).toBe(304);
    expect((await get('/feeds/tags/world+news.rss?page=4&limit=1')).status).toBe(404);
    expect((await get('/feeds/tags/world+news.rss?page=4&limit=1')).status).toBe(404);
    expect(site.app.composed.viewsRendered).toBe(rendered);
    // A cycle in which no source changed: the page keeps its bytes and is not rendered again.
    expect((await site.app.runCycle()).rendered).toEqual([]);
    const after = await get('/feeds/tags/world+news.rss?page=3&limit=1');
    expect(after.headers.get('etag')).toBe(etag);
    expect(await after.text()).toBe(body);
    expect(site.app.composed.viewsRendered).toBe(rendered);
    expect(site.app.composed.renderCount).toBe(renders);
  });

  it('renders a page of a composed feed again when a new item pushes older ones onto it', async () => {
    const before = await get('/feeds/tags/world+news.atom?page=2');
    const rendered = site.app.composed.viewsRendered;
    const world = fixture('world-news.rss.xml').toString().replace('<item>', `<item>
      <title>Ceasefire talks resume</title>
      <link>https://world.example.com/2025/03/ceasefire</link>
      <guid isPermaLink="false">ww-1009</guid>
      <pubDate>Sun, 09 Mar 2025 11:30:00 GMT</pubDate>
      <description>Delegations met again.</description>
    </item>
    <item>`);
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: world });
    expect((await site.app.runCycle()).added).toBe(1);
    const all = await composition(['world', 'news'], true);
    expect(all).toHaveLength(4);
    const after = await get('/feeds/tags/world+news.atom?page=2');
    expect(after.headers.get('etag')).not.toBe(before.headers.get('etag'));
    expect(readFeed(await after.text()).entries.map((e) => e.id)).toEqual(all.slice(2));
    expect(site.app.composed.viewsRendered).toBe(rendered + 1);
  });
});
