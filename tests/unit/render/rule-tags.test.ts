import { describe, expect, it } from 'vitest';
import type { TagRule } from '../../../src/config/types.ts';
import type { Item } from '../../../src/model.ts';
import { normalizeItem } from '../../../src/normalize/normalize-item.ts';
import type { RawItem } from '../../../src/parse/types.ts';
import { ComposedFeeds, MAX_COMPOSED_FEEDS } from '../../../src/render/composed-feeds.ts';
import { buildFeedSpecs, sourceTagMap, type SiteInfo } from '../../../src/render/feed-specs.ts';
import { FeedSet } from '../../../src/render/feed-set.ts';
import type { RenderContext } from '../../../src/render/render-feed.ts';
import { RuleTagging } from '../../../src/rules/tagger.ts';
import { atomEntries, lintAtom } from '../../helpers/feed-lint.ts';
import { plain } from '../../helpers/plain-text.ts';

let minute = 0;
/** An Item as normalize/ makes it, each one a minute newer than the last. */
function item(sourceId: string, fields: Partial<RawItem>): Item {
  minute++;
  return normalizeItem({ categories: [], enclosures: [], published: `2025-03-09T08:${String(minute).padStart(2, '0')}:00Z`, ...fields }, {
    sourceId, feedUrl: `https://${sourceId}.example/rss.xml`, timezone: 'UTC', now: new Date('2025-03-10T00:00:00Z'), idAuthority: 'tributary.example',
  });
}

const SOURCES: SiteInfo['sources'] = [
  { id: 'portal', url: 'https://portal.example/rss.xml', tags: ['新闻', 'china'], enabled: true },
  { id: 'wire', url: 'https://wire.example/rss.xml', tags: ['world'], enabled: true },
];

const ITEMS = [
  item('portal', { guid: 'p1', title: '国产大模型发布' }),
  item('portal', { guid: 'p2', title: '北京今日晴转多云' }),
  item('portal', { guid: 'p3', title: '新能源汽车销量创新高', categories: ['财经'] }),
  item('wire', { guid: 'w1', title: 'Markets rally as LLM stocks soar' }),
  item('wire', { guid: 'w2', title: 'Storm warning for the coast' }),
];

const RULES_A: TagRule[] = [
  { tag: 'ai', match: ['大模型', '/\\bLLMs?\\b/i'], categories: [], exclude: [] },
  { tag: 'finance', match: ['markets'], categories: ['财经'], exclude: [] },
];

function setup(rules: TagRule[], tags?: SiteInfo['tags']) {
  const site: SiteInfo = { title: plain('Wire'), baseUrl: 'http://127.0.0.1:8080', limit: 50, sources: SOURCES, rules, ...(tags ? { tags } : {}) };
  const tagger = tagging.forRules(rules);
  const ctx: RenderContext = { baseUrl: site.baseUrl, sources: new Map(), tagsOf: sourceTagMap(site), hubs: [], ruleTags: tagger.tagsOf };
  return { site, ctx, specs: buildFeedSpecs(ITEMS, site, {}, tagger.tagsOf), tagger };
}
const tagging = new RuleTagging();
const titlesOf = (items: Item[]) => items.map((i) => i.title);

describe('rule tags in the feed specs', () => {
  it('gives every rule tag its feed, holding the items the rule matched', () => {
    const { specs } = setup(RULES_A);
    const ai = specs.find((s) => s.path === 'tags/ai')!;
    expect(titlesOf(ai.items)).toEqual(['Markets rally as LLM stocks soar', '国产大模型发布']);
    const finance = specs.find((s) => s.path === 'tags/finance')!;
    expect(titlesOf(finance.items)).toEqual(['Markets rally as LLM stocks soar', '新能源汽车销量创新高']);
  });

  it('gives a rule tag a feed before any item matches it', () => {
    const { specs } = setup([...RULES_A, { tag: 'space', match: ['火箭'], categories: [], exclude: [] }]);
    expect(specs.find((s) => s.path === 'tags/space')!.items).toEqual([]);
  });

  it('uses the configured title and description of a tag, and the default for the others', () => {
    const { specs } = setup(RULES_A, { ai: { title: plain('AI 要闻'), description: plain('大模型、人工智能') }, china: { title: plain('中国') } });
    expect(specs.find((s) => s.path === 'tags/ai')).toMatchObject({ title: 'AI 要闻', description: '大模型、人工智能' });
    expect(specs.find((s) => s.path === 'tags/china')).toMatchObject({ title: '中国', description: 'Latest items tagged china' });
    expect(specs.find((s) => s.path === 'tags/world')).toMatchObject({ title: 'Wire · world', description: 'Latest items tagged world' });
  });

  it('writes rule tags as categories of the entry, after the source tags', () => {
    const { specs, ctx } = setup(RULES_A);
    const feeds = new FeedSet();
    feeds.update(specs, ctx, 50);
    const atom = feeds.get('latest', 'atom')!.body.toString();
    expect(lintAtom(atom)).toEqual([]);
    const entry = atomEntries(atom).find((e) => e.title === '国产大模型发布')!;
    expect(entry.categories).toEqual(['新闻', 'china', 'ai']);
  });

  it('re-renders exactly the feeds whose items were re-tagged when the rules change', () => {
    const feeds = new FeedSet();
    const a = setup(RULES_A);
    feeds.update(a.specs, a.ctx, 50);
    expect(feeds.update(setup(RULES_A).specs, setup(RULES_A).ctx, 50)).toEqual([]);
    // "storm" now tags the wire story w2: the latest feed, the world and wire feeds hold it, and "weather" is new.
    const b = setup([...RULES_A, { tag: 'weather', match: ['storm'], categories: [], exclude: [] }]);
    expect(feeds.update(b.specs, b.ctx, 50).sort()).toEqual(['latest', 'sources/wire', 'tags/weather', 'tags/world']);
    expect(titlesOf(b.specs.find((s) => s.path === 'tags/weather')!.items)).toEqual(['Storm warning for the coast']);
  });
});

describe('ComposedFeeds', () => {
  function composed(rules = RULES_A) {
    const { site, ctx } = setup(rules);
    const feeds = new ComposedFeeds();
    feeds.refresh({ items: ITEMS, site, ctx });
    return { feeds, site, ctx };
  }
  const entries = (feeds: ComposedFeeds, path: string) => atomEntries(feeds.get(path, 'atom')!.body.toString()).map((e) => e.title);

  it('serves items carrying all tags of a + query', () => {
    expect(entries(composed().feeds, 'tags/ai+china')).toEqual(['国产大模型发布']);
  });

  it('serves items carrying any tag of a , query', () => {
    expect(entries(composed().feeds, 'tags/ai,finance')).toEqual(['Markets rally as LLM stocks soar', '新能源汽车销量创新高', '国产大模型发布']);
  });

  it('serves valid Atom with its own self link and title', () => {
    const body = composed().feeds.get('tags/ai+china', 'atom')!.body.toString();
    expect(lintAtom(body)).toEqual([]);
    expect(body).toContain('<title>Wire · ai+china</title>');
    expect(body).toContain('Latest items tagged ai and china');
  });

  it('answers undefined for an unknown tag, a plain tag and a malformed query', () => {
    const { feeds } = composed();
    expect(feeds.get('tags/ai+nope', 'atom')).toBeUndefined();
    expect(feeds.get('tags/ai', 'atom')).toBeUndefined();
    expect(feeds.get('tags/ai+', 'atom')).toBeUndefined();
    expect(feeds.get('sources/ai+china', 'atom')).toBeUndefined();
  });

  it('renders once, then answers every request and every order of the tags with the same bytes', () => {
    const { feeds } = composed();
    const first = feeds.get('tags/ai+china', 'atom')!;
    expect(feeds.get('tags/china+ai', 'atom')).toBe(first);
    expect(feeds.get('tags/ai+china', 'rss')!.etag).not.toBe(first.etag);
    expect(feeds.renderCount).toBe(1);
  });

  it('keeps its bytes and ETag after a refresh that changed none of its items', () => {
    const { feeds, site, ctx } = composed();
    const before = feeds.get('tags/ai+china', 'atom')!;
    feeds.refresh({ items: [...ITEMS, item('wire', { guid: 'w3', title: 'Rain later' })], site, ctx });
    expect(feeds.get('tags/ai+china', 'atom')).toBe(before);
    expect(feeds.renderCount).toBe(1);
  });

  it('renders again when a refresh brings a new matching item', () => {
    const { feeds, site, ctx } = composed();
    const before = feeds.get('tags/ai+china', 'atom')!;
    feeds.refresh({ items: [...ITEMS, item('portal', { guid: 'p4', title: '大模型进课堂' })], site, ctx });
    const after = feeds.get('tags/ai+china', 'atom')!;
    expect(after.etag).not.toBe(before.etag);
    expect(entries(feeds, 'tags/ai+china')).toEqual(['大模型进课堂', '国产大模型发布']);
    expect(feeds.renderCount).toBe(2);
  });

  it('re-tags with the rules of the latest refresh', () => {
    const { feeds } = composed();
    expect(entries(feeds, 'tags/finance+world')).toEqual(['Markets rally as LLM stocks soar']);
    const b = setup([{ tag: 'finance', match: ['storm'], categories: [], exclude: [] }, RULES_A[0]!]);
    feeds.refresh({ items: ITEMS, site: b.site, ctx: b.ctx });
    expect(entries(feeds, 'tags/finance+world')).toEqual(['Storm warning for the coast']);
  });

  it(`keeps at most ${MAX_COMPOSED_FEEDS} composed feeds, dropping the least recently requested`, () => {
    const many = Array.from({ length: MAX_COMPOSED_FEEDS + 2 }, (_, i) => ({ tag: `t${i}`, match: ['x'], categories: [], exclude: [] }));
    const { feeds } = composed(many);
    for (let i = 1; i <= MAX_COMPOSED_FEEDS; i++) feeds.get(`tags/t0,t${i}`, 'atom');
    expect(feeds.renderCount).toBe(MAX_COMPOSED_FEEDS);
    feeds.get('tags/t0,t1', 'atom'); // cached; now the most recently requested
    feeds.get(`tags/t0,t${MAX_COMPOSED_FEEDS + 1}`, 'atom'); // one too many: t0,t2 goes
    expect(feeds.renderCount).toBe(MAX_COMPOSED_FEEDS + 1);
    feeds.get('tags/t0,t1', 'atom');
    expect(feeds.renderCount).toBe(MAX_COMPOSED_FEEDS + 1);
    feeds.get('tags/t0,t2', 'atom');
    expect(feeds.renderCount).toBe(MAX_COMPOSED_FEEDS + 2);
  });
});
