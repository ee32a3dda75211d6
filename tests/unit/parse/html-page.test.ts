import { describe, expect, it } from 'vitest';
import { toPageSelectors, type PageSelectInput } from '../../../src/config/selector.ts';
import { parseHtmlPage, SelectorMatchError } from '../../../src/parse/html-page.ts';
import type { RawItem } from '../../../src/parse/types.ts';

const URL = 'https://portal.example.cn/news/';
const read = (html: string, select: PageSelectInput, documentUrl = URL) =>
  parseHtmlPage(html, { documentUrl, select: toPageSelectors(select) });

interface Row {
  why: string;
  html: string;
  select: PageSelectInput;
  items: Partial<RawItem>[];
}

const rows: Row[] = [
  {
    why: 'title is the text of the first match, link its href, left relative for the normalizer to resolve against base',
    html: '<ul class="l"><li><a href="a.html">第一条 <em>新闻</em></a><a href="b.html">second</a></li></ul>',
    select: { item: 'ul.l li', title: 'a' },
    items: [{ title: '第一条 新闻', titleIsHtml: true, link: 'a.html', base: URL }],
  },
  {
    why: 'an item that is itself the link, read with @href and @title',
    html: '<div class="list"><a class="n" href="/1" title="完整标题">截断…</a><a class="n" href="/2" title="二">二</a></div>',
    select: { item: 'a.n', title: '@title', link: '@href' },
    items: [{ title: '完整标题', link: '/1' }, { title: '二', link: '/2' }],
  },
  {
    why: 'without select.link, the item\'s own href, else its first a[href]',
    html: '<a class="n" href="/own">own</a><p class="n"><a name="x">anchor</a><a href="/inner">inner</a></p>',
    select: { item: '.n', title: 'a' },
    items: [{ title: 'own', link: '/own' }, { title: 'anchor', link: '/inner' }],
  },
  {
    why: 'text is taken as text: entities decoded once, then escaped for the normalizer, so &lt; stays a literal <',
    html: '<li><a href="/1">AT&amp;T &lt;b&gt; 与 “引号”</a></li>',
    select: { item: 'li', title: 'a' },
    items: [{ title: 'AT&amp;T &lt;b&gt; 与 “引号”' }],
  },
  {
    why: 'summary is the inner HTML of its match; an attribute summary is escaped text',
    html: '<li><a href="/1">t</a><p class="i">a <b>b</b></p><img src="x.jpg" alt="图 <1>"></li>',
    select: { item: 'li', title: 'a', summary: '.i' },
    items: [{ summary: 'a <b>b</b>' }],
  },
  {
    why: 'summary from an attribute',
    html: '<li><a href="/1">t</a><img src="x.jpg" alt="图 <1>"></li>',
    select: { item: 'li', title: 'a', summary: 'img@alt' },
    items: [{ summary: '图 &lt;1&gt;' }],
  },
  {
    why: 'date text kept as printed, spaces collapsed',
    html: '<li><a href="/1">t</a><span class="t"> 2025-03-09\n 18:42 </span></li>',
    select: { item: 'li', title: 'a', date: '.t' },
    items: [{ published: '2025-03-09 18:42' }],
  },
  {
    why: 'date from a <time datetime>; the attribute applies to the whole selector list',
    html: '<li><a href="/1">t</a><time datetime="2025-03-09T18:42+08:00">昨天</time></li><li><a href="/2">u</a><span class="t">03-09</span></li>',
    select: { item: 'li', title: 'a', date: 'time, .t@datetime' },
    items: [{ published: '2025-03-09T18:42+08:00' }, { title: 'u' }],
  },
  {
    why: 'a field selector matching the item itself reads the item',
    html: '<div><a class="n" href="/1">自身</a></div>',
    select: { item: 'a.n', title: 'a' },
    items: [{ title: '自身', link: '/1' }],
  },
  {
    why: 'a row with neither title nor link is layout, not a story; one with a title but no link is kept',
    html: '<ul><li><a href="/1">一</a></li><li class="more"><span>更多</span></li><li><b>无链接</b></li></ul>',
    select: { item: 'li', title: 'a, b' },
    items: [{ title: '一', link: '/1' }, { title: '无链接' }],
  },
  {
    why: '<base href> is the base of the page\'s links, itself relative to the page URL',
    html: '<head><base href="/archive/2025/"></head><li><a href="1.html">x</a></li>',
    select: { item: 'li', title: 'a' },
    items: [{ base: 'https://portal.example.cn/archive/2025/' }],
  },
  {
    why: 'unclosed <li>s build the browser\'s tree',
    html: '<ul class="latest"><li><a href="/1">一</a><li><a href="/2">二</a><li><a href="/3">三</a></ul>',
    select: { item: 'ul.latest > li', title: 'a' },
    items: [{ title: '一' }, { title: '二' }, { title: '三' }],
  },
  {
    why: 'the page language is each item\'s',
    html: '<html lang="zh-Hans"><body><li><a href="/1">一</a></li></body></html>',
    select: { item: 'li', title: 'a' },
    items: [{ language: 'zh-Hans' }],
  },
];

describe('parseHtmlPage', () => {
  it.each(rows)('$why', ({ html, select, items }) => {
    const page = read(html, select);
    expect(page.format).toBe('html');
    expect(page.items).toHaveLength(items.length);
    items.forEach((expected, i) => expect(page.items[i]).toMatchObject(expected));
  });

  it('takes the page title from <head><title> and the page URL as its link', () => {
    const page = read('<html><head><title> 新闻中心\n_最新 </title></head><body><li><a href="/1">x</a></li><svg><title>icon</title></svg></body></html>', { item: 'li', title: 'a' });
    expect(page).toMatchObject({ title: '新闻中心 _最新', link: URL });
  });

  it.each([
    [{ item: 'ol.news li', title: 'a' }, 'select.item', 'selector `ol.news li` matched 0 elements'],
    [{ item: 'li', title: 'h3' }, 'select.title', 'selector `h3` matched 0 elements in any of the 2 items'],
    [{ item: 'li', title: 'a', date: '.time' }, 'select.date', 'selector `.time` matched 0 elements in any of the 2 items'],
    [{ item: 'li', title: 'a', link: 'a@data-href' }, 'select.link', 'selector `a@data-href` matched 0 elements'],
  ])('throws SelectorMatchError when a selector matches nothing: %o', (select, key, message) => {
    const html = '<ul><li><a href="/1">一</a></li><li><a href="/2">二</a></li></ul>';
    let caught: unknown;
    try {
      read(html, select);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SelectorMatchError);
    expect(caught).toMatchObject({ key });
    expect((caught as Error).message).toContain(message);
  });
});
