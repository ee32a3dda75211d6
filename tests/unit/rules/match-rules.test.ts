import { describe, expect, it } from 'vitest';
import type { TagRule } from '../../../src/config/types.ts';
import type { Item } from '../../../src/model.ts';
import { normalizeItem } from '../../../src/normalize/normalize-item.ts';
import type { RawItem } from '../../../src/parse/types.ts';
import { itemFields } from '../../../src/rules/item-text.ts';
import { compileRules, judgeRules } from '../../../src/rules/match-rules.ts';
import { applySourceFilter, compileFilter, judgeFilter } from '../../../src/rules/source-filter.ts';
import { RuleTagger, RuleTagging } from '../../../src/rules/tagger.ts';

const NOW = new Date('2025-03-09T12:00:00.000Z');

/** An Item as normalize/ makes it from one source's raw item. */
function item(sourceId: string, fields: Partial<RawItem>, alsoIn: string[] = []): Item {
  const normalized = normalizeItem({ categories: [], enclosures: [], ...fields }, {
    sourceId, feedUrl: `https://${sourceId}.example/rss.xml`, timezone: 'Asia/Shanghai', now: NOW, idAuthority: 'tributary.example',
  });
  return { ...normalized, alsoIn };
}

function rule(fields: Partial<TagRule> & { tag: string }): TagRule {
  return { match: [], categories: [], exclude: [], ...fields };
}

// The example rules, as load.ts produces them.
const RULES: TagRule[] = [
  rule({ tag: 'ai', match: ['大模型', '人工智能', 'DeepSeek', '/\\bLLMs?\\b/i'], exclude: ['广告'], sources: ['chinanews-scroll', 'bbc-chinese'] }),
  rule({ tag: '科技', categories: ['科技', 'Technology'] }),
  rule({ tag: 'energy', match: ['新能源', 'solar', 'battery'] }),
];

const tagRows: { why: string; item: Item; tags: string[] }[] = [
  { why: 'routes a Chinese item by a keyword in its title', item: item('chinanews-scroll', { title: '国产大模型：既需“仰望星空”也要脚踏实地' }), tags: ['ai'] },
  { why: 'routes a Chinese item by a keyword in its HTML summary', item: item('chinanews-scroll', { title: '两会观察', summary: '<p>代表建议加快<b>人工智能</b>立法</p>' }), tags: ['ai'] },
  { why: 'routes a full-width keyword', item: item('bbc-chinese', { title: 'ＤｅｅｐＳｅｅｋ 开源新模型' }), tags: ['ai'] },
  { why: 'routes an English item by a regex, case-insensitively', item: item('bbc-chinese', { title: 'Why LLMs hallucinate' }), tags: ['ai'] },
  { why: 'routes by a keyword found among the item\'s categories', item: item('chinanews-scroll', { title: '一周要闻', categories: ['DeepSeek'] }), tags: ['ai'] },
  { why: 'does not tag an item whose text has an exclude word', item: item('chinanews-scroll', { title: '大模型课程 限时优惠', summary: '广告' }), tags: [] },
  { why: 'does not apply a rule to a source it does not list', item: item('solidot', { title: '大模型推理成本下降' }), tags: [] },
  { why: 'applies a rule to a story another listed source also carried', item: item('solidot', { title: '大模型推理成本下降' }, ['bbc-chinese']), tags: ['ai'] },
  { why: 'routes by the item\'s own category', item: item('solidot', { title: '新款手机发布', categories: ['科技'] }), tags: ['科技'] },
  { why: 'routes by a category in another case', item: item('solidot', { title: 'New phone', categories: ['TECHNOLOGY'] }), tags: ['科技'] },
  { why: 'does not treat a category rule as a keyword in the title', item: item('solidot', { title: '科技部发布新规' }), tags: [] },
  { why: 'gives several tags in rule order', item: item('chinanews-scroll', { title: '大模型助力新能源电池研发', categories: ['科技'] }), tags: ['ai', '科技', 'energy'] },
  { why: 'tags nothing when no rule matches', item: item('chinanews-scroll', { title: '北京今日晴转多云' }), tags: [] },
  { why: 'does not find the keyword "solar" inside a longer word', item: item('bbc-world', { title: 'Consolar group formed' }), tags: [] },
];

describe('RuleTagger.tagsOf: which tags rules give an item', () => {
  const tagger = new RuleTagger(RULES);
  for (const row of tagRows) {
    it(row.why, () => {
      expect(tagger.tagsOf(row.item)).toEqual(row.tags);
    });
  }
});

describe('judgeRules: why an item got a tag', () => {
  it('names the rule, the field, the entry and the text it matched', () => {
    const fields = itemFields(item('bbc-chinese', { title: 'Ｌｌｍ 评测', summary: '<p>新的大模型榜单</p>' }));
    expect(judgeRules(fields, compileRules(RULES))).toEqual([
      { rule: 0, tag: 'ai', hit: { field: 'summary', pattern: '大模型', matched: '大模型' } },
    ]);
  });

  it('names the exclude entry that took a tag back', () => {
    const fields = itemFields(item('chinanews-scroll', { title: '［广告］人工智能训练营' }));
    expect(judgeRules(fields, compileRules(RULES))).toEqual([{
      rule: 0, tag: 'ai', hit: { field: 'title', pattern: '人工智能', matched: '人工智能' },
      excludedBy: { field: 'title', pattern: '广告', matched: '广告' },
    }]);
  });

  it('names the category that gave a category rule\'s tag', () => {
    const fields = itemFields(item('solidot', { title: 'x', categories: ['Technology'] }));
    expect(judgeRules(fields, compileRules(RULES))).toEqual([
      { rule: 1, tag: '科技', hit: { field: 'category', pattern: 'category Technology', matched: 'Technology' } },
    ]);
  });

  it('reads only the opening of a huge content', () => {
    const late = item('x', { title: 't', content: `<p>${'填充文字'.repeat(2000)}</p><p>大模型</p>` });
    expect(judgeRules(itemFields(late), compileRules([rule({ tag: 'ai', match: ['大模型'] })]))).toEqual([]);
    const early = item('x', { title: 't', content: `<p>大模型</p><p>${'填充文字'.repeat(2000)}</p>` });
    expect(judgeRules(itemFields(early), compileRules([rule({ tag: 'ai', match: ['大模型'] })]))).toHaveLength(1);
  });
});

describe('source filters', () => {
  const items = [
    item('chinanews-scroll', { guid: '1', title: '[广告] 夏季大促 全场五折' }),
    item('chinanews-scroll', { guid: '2', title: '国产大模型发布' }),
    item('chinanews-scroll', { guid: '3', title: '北京今日晴转多云', summary: '推广：某品牌' }),
    item('chinanews-scroll', { guid: '4', title: '新能源汽车3月销量创新高' }),
  ];
  const titles = (kept: Item[]) => kept.map((i) => i.title);

  it('drops the items an exclude regex matches and keeps the rest in order', () => {
    expect(titles(applySourceFilter(items, { include: [], exclude: ['/^\\[广告\\]/'] }))).toEqual(['国产大模型发布', '北京今日晴转多云', '新能源汽车3月销量创新高']);
  });

  it('keeps only items matching an include entry', () => {
    expect(titles(applySourceFilter(items, { include: ['大模型', '新能源'], exclude: [] }))).toEqual(['国产大模型发布', '新能源汽车3月销量创新高']);
  });

  it('applies exclude to what include kept', () => {
    expect(titles(applySourceFilter(items, { include: ['大模型', '新能源'], exclude: ['汽车'] }))).toEqual(['国产大模型发布']);
  });

  it('reads the summary as well as the title', () => {
    expect(titles(applySourceFilter(items, { include: [], exclude: ['推广'] }))).not.toContain('北京今日晴转多云');
  });

  it('keeps everything when the source has no filter', () => {
    expect(applySourceFilter(items, undefined)).toBe(items);
  });

  it('says which entry dropped an item, or that no include entry matched', () => {
    const filter = compileFilter({ include: ['大模型', '广告'], exclude: ['/^\\[广告\\]/'] });
    expect(judgeFilter(items[0]!, filter)).toEqual({ kept: false, reason: 'excluded', excludedBy: { field: 'title', pattern: '/^\\[广告\\]/', matched: '[广告]' } });
    expect(judgeFilter(items[2]!, filter)).toEqual({ kept: false, reason: 'not-included' });
    expect(judgeFilter(items[1]!, filter)).toEqual({ kept: true, includedBy: { field: 'title', pattern: '大模型', matched: '大模型' } });
  });
});

describe('RuleTagger cache', () => {
  const stored = [
    item('chinanews-scroll', { guid: 'a', title: '国产大模型发布' }),
    item('chinanews-scroll', { guid: 'b', title: '新能源汽车销量' }),
    item('bbc-chinese', { guid: 'c', title: 'LLM benchmarks' }),
  ];

  it('matches each item once per rules version, however often its tags are asked for', () => {
    const tagger = new RuleTagger(RULES);
    for (let pass = 0; pass < 3; pass++) {
      for (const i of stored) tagger.tagsOf(i);
      for (const i of stored) tagger.tagsOf(i);
      tagger.endPass();
    }
    expect(tagger.matchedCount).toBe(3);
  });

  it('matches an edited item again: its hash changed', () => {
    const tagger = new RuleTagger(RULES);
    expect(tagger.tagsOf(stored[1]!)).toEqual(['energy']);
    const edited = item('chinanews-scroll', { guid: 'b', title: '大模型与新能源汽车' });
    expect(tagger.tagsOf(edited)).toEqual(['ai', 'energy']);
    expect(tagger.matchedCount).toBe(2);
  });

  it('keeps an item not asked for during one pass, and forgets it after two', () => {
    const tagger = new RuleTagger(RULES);
    tagger.tagsOf(stored[0]!);
    tagger.endPass();
    tagger.endPass();
    tagger.tagsOf(stored[0]!);
    expect(tagger.matchedCount).toBe(1);
    tagger.endPass();
    tagger.endPass();
    tagger.endPass();
    tagger.tagsOf(stored[0]!);
    expect(tagger.matchedCount).toBe(2);
  });

  it('applies a rule\'s source list at lookup, so a later alsoIn counts without matching again', () => {
    const tagger = new RuleTagger(RULES);
    const story = item('solidot', { guid: 'd', title: '大模型推理' });
    expect(tagger.tagsOf(story)).toEqual([]);
    expect(tagger.tagsOf({ ...story, alsoIn: ['chinanews-scroll'] })).toEqual(['ai']);
    expect(tagger.matchedCount).toBe(1);
  });

  it('tags items without a content hash (outage items) each by its own text, not by the first one met', () => {
    const tagger = new RuleTagger(RULES);
    const outage = (sourceId: string, title: string): Item => ({ ...item(sourceId, { guid: `${sourceId}-down`, title }), hash: '' });
    expect(tagger.tagsOf(outage('chinanews-scroll', '源 新能源日报 抓取失败: HTTP 502'))).toEqual(['energy']);
    expect(tagger.tagsOf(outage('solidot', '源 Solidot 抓取失败: HTTP 500'))).toEqual([]);
    tagger.endPass();
    expect(tagger.tagsOf(outage('chinanews-scroll', '源 新能源日报 抓取失败: HTTP 502'))).toEqual(['energy']);
  });

  it('keeps the tagger while the rules are equal and makes a new one when they change', () => {
    const tagging = new RuleTagging();
    const first = tagging.forRules(RULES);
    expect(tagging.forRules(structuredClone(RULES))).toBe(first);
    const changed = tagging.forRules([...RULES, rule({ tag: 'cars', match: ['汽车'] })]);
    expect(changed).not.toBe(first);
    expect(changed.version).not.toBe(first.version);
    expect(changed.tagsOf(stored[1]!)).toEqual(['energy', 'cars']);
  });
});
