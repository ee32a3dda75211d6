import { describe, expect, it } from 'vitest';
import { feedPage } from '../../../src/render/feed-pages.ts';
import { parseFeedQuery } from '../../../src/render/feed-query.ts';
import { renderHtmlView } from '../../../src/render/html-view.ts';
import { messages, relativeTime } from '../../../src/render/messages.ts';
import { renderFeed, type FeedDocument } from '../../../src/render/render-feed.ts';
import { readFeed } from '../../helpers/feed-reader.ts';
import { plain } from '../../helpers/plain-text.ts';
import { sampleContext, sampleItem, sampleItems, sampleSpec } from '../../helpers/sample-items.ts';

const NOW = Date.parse('2025-01-02T12:00:00.000Z');

function docOf(items = sampleItems(3), page = 1, pageSize = 50): FeedDocument {
  return feedPage(sampleSpec(items), items, parseFeedQuery(new URLSearchParams(`page=${page}`))!, pageSize, '2000-01-01T00:00:00.000Z');
}

/** The item ids of a page, unescaped, in page order. */
const pageIds = (html: string) => [...html.matchAll(/data-item-id="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));

describe('renderHtmlView', () => {
  it('escapes a hostile title, source name, tag and description, and writes the stored summary as stored', () => {
    const hostile = sampleItem(1, {
      title: plain('<script>alert(1)</script> & "quotes"'),
      summary: '<p>Kept <strong>bold</strong> &amp; safe</p>',
      link: 'javascript:alert(1)',
    });
    const ctx = sampleContext({
      now: NOW,
      sources: new Map([['world', { title: plain('</a><img src=x onerror=alert(2)>'), url: 'https://world.example.com/rss' }]]),
      tagsOf: new Map([['world', ['"><svg onload=alert(3)>']]]),
    });
    const html = renderHtmlView({ ...docOf([hostile]), spec: sampleSpec([hostile], { description: plain('<b>not bold</b>') }) }, ctx);
    expect(html).not.toMatch(/<script>alert|<img src=x|<svg onload|<b>not bold/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('&lt;/a&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).toContain('<p>Kept <strong>bold</strong> &amp; safe</p>');
    // a link that is not http(s) is no link at all
    expect(html).not.toContain('href="javascript:');
    // the only script is the page's own
    expect(html.match(/<script>/g)).toHaveLength(1);
  });

  it('lists the items in the order of the Atom document of the same page, page 2 included', () => {
    const items = sampleItems(7);
    for (const page of [1, 2, 3]) {
      const doc = docOf(items, page, 3);
      const feeds = renderFeed(doc, sampleContext({ now: NOW }));
      const atomIds = readFeed(feeds.atom.body.toString('utf8')).entries.map((e) => e.id);
      expect(pageIds(feeds.html.body.toString('utf8')), `page ${page}`).toEqual(atomIds);
      expect(atomIds.length).toBeGreaterThan(0);
    }
  });

  it('links the neighbouring pages of the HTML view and the subscribe box to the feed itself', () => {
    const html = renderHtmlView(docOf(sampleItems(7), 2, 3), sampleContext({ now: NOW }));
    expect(html).toContain('href="http://feeds.example.org/feeds/sources/world.html?page=3" rel="next"');
    expect(html).toContain('href="http://feeds.example.org/feeds/sources/world.html" rel="first"');
    expect(html).toContain('id="feed-url-atom" data-feed-url="atom" readonly value="http://feeds.example.org/feeds/sources/world.atom"');
    expect(html).toContain('data-copy="rss"');
    expect(html).toContain('href="http://feeds.example.org/feeds.opml"');
    expect(html).toContain('href="http://feeds.example.org/feeds/tags/news.html" rel="tag"');
  });

  it('shows a recent time relative, in English by default and in Chinese for zh-CN, and an old one in the display zone', () => {
    const recent = sampleItem(1, { published: new Date(NOW - 3 * 60_000).toISOString() });
    const old = sampleItem(2, { published: '2024-06-01T16:30:00.000Z' });
    const doc = docOf([recent, old]);
    const en = renderHtmlView(doc, sampleContext({ now: NOW, timezone: 'Asia/Shanghai' }));
    expect(en).toContain('<html lang="en">');
    expect(en).toMatch(/>3 minutes ago<\/time>/);
    // 16:30 UTC is past midnight in Shanghai: the next day
    expect(en).toMatch(/>Jun 2, 2024, 12:30\sAM<\/time>/);
    const zh = renderHtmlView(doc, sampleContext({ now: NOW, timezone: 'Asia/Shanghai', language: 'zh-CN' }));
    expect(zh).toContain('<html lang="zh-CN">');
    expect(zh).toMatch(/>3 分钟前<\/time>/);
    expect(zh).toContain('>订阅</h2>');
    expect(zh).toContain('data-rel-minute="{n} 分钟前"');
  });

  it('folds a long summary into <details>', () => {
    const long = sampleItem(1, { summary: `<p>${'很长的摘要。'.repeat(80)}</p>` });
    const html = renderHtmlView(docOf([long]), sampleContext({ now: NOW }));
    expect(html).toMatch(/<details class="summary"><summary>很长的摘要。/);
  });
});

describe('relativeTime', () => {
  const en = messages('en');
  const zh = messages('zh-Hant-TW');
  it.each([
    [30_000, 'just now', '刚刚'],
    [60_000, '1 minute ago', '1 分钟前'],
    [3 * 60_000, '3 minutes ago', '3 分钟前'],
    [2 * 3_600_000, '2 hours ago', '2 小时前'],
    [86_400_000, '1 day ago', '1 天前'],
  ])('%i ms ago reads "%s" / "%s"', (ago, english, chinese) => {
    const iso = new Date(NOW - ago).toISOString();
    expect(relativeTime(iso, NOW, en)).toBe(english);
    expect(relativeTime(iso, NOW, zh)).toBe(chinese);
  });

  it('gives no relative time past a week (the page shows the date)', () => {
    expect(relativeTime(new Date(NOW - 8 * 86_400_000).toISOString(), NOW, en)).toBeUndefined();
  });
});

describe('the page script and the Content-Security-Policy', () => {
  it('allows exactly the script the page carries, and the script is valid JavaScript', async () => {
    const { createHash } = await import('node:crypto');
    const { PAGE_CSP } = await import('../../../src/render/page-style.ts');
    const html = renderHtmlView(docOf(), sampleContext({ now: NOW }));
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(PAGE_CSP).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(() => new Function(script)).not.toThrow();
    expect(PAGE_CSP).not.toMatch(/script-src[^;]*unsafe-inline/);
  });
});
