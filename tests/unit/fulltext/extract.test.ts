// Article extraction on pages shaped like real ones (tests/fixtures/articles/): a GBK portal article with its
// navigation, 最新 sidebar and share buttons, an English news page, and a page whose body only script fills.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../../src/fetch/charset.ts';
import { FullTextError } from '../../../src/fulltext/errors.ts';
import { extractArticle, type ExtractRule } from '../../../src/fulltext/extract.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/articles/${name}`, import.meta.url));
// Decoded as the fetch stage decodes a page: no charset in the header, so the <meta> names GBK.
const PORTAL = decodeBody(fixture('portal-article.gbk.html'), { contentType: 'text/html', document: 'html' }).text;
const PORTAL_URL = 'https://www.example.com.cn/sh/2026/12-05/10000100.shtml';
const NEWS = fixture('news-article.en.html').toString('utf8');
const NEWS_URL = 'https://news.example.org/local/2026/12/05/riverside-park-expansion';
const SCRIPT_ONLY = fixture('script-only.html').toString('utf8');

const paragraphs = (html: string) => html.match(/<p>/g)?.length ?? 0;

describe('extractArticle on a GBK portal article', () => {
  const rules: [string, ExtractRule][] = [
    ['Readability', {}],
    ['select + remove', { select: 'div.left_zw', remove: ['.adInContent'] }],
  ];
  for (const [name, rule] of rules) {
    it(`${name}: keeps the body's paragraphs, its photo and its link, and nothing around it`, async () => {
      const { html, by } = await extractArticle(PORTAL, PORTAL_URL, rule);
      expect(by).toBe(rule.select ? 'select' : 'readability');
      // Decoded from GBK (喆 is outside GB2312), in its paragraphs.
      expect(html).toContain('(记者 李喆)进入十二月');
      expect(html).toContain('合理安排行程。(完)');
      expect(paragraphs(html)).toBeGreaterThanOrEqual(5);
      // Relative image and link resolved against the page.
      expect(html).toContain('<img src="https://www.example.com.cn/2026/12-05/U123P4T8D10001F24DT20261205143200.jpg"');
      expect(html).toContain('<a href="https://www.example.com.cn/society/2026/12-01/10000002.shtml">此前报道</a>');
      for (const noise of ['最新', '多地发布寒潮预警', '分享到', '微博', '首页', '关于我们', '广告', 'document.write', '_hmt', 'text-indent', '正文开始']) {
        expect(html, noise).not.toContain(noise);
      }
      expect(html).not.toMatch(/<(script|style|iframe)\b|style=|class=|<!--/);
    });
  }

  it('select without remove still drops the script inside the body, and what it would write', async () => {
    const { html } = await extractArticle(PORTAL, PORTAL_URL, { select: 'div.left_zw' });
    expect(html).not.toMatch(/script|document\.write|广告/);
  });

  it('remove drops elements inside the selected body', async () => {
    const { html } = await extractArticle(PORTAL, PORTAL_URL, { select: 'div.left_zw', remove: ['p[style]'] });
    expect(html).not.toContain('李喆 摄');
    expect(html).toContain('(记者 李喆)');
  });

  it('a selector that matches nothing fails with the selector and the inspect command in the reason', async () => {
    const error = await extractArticle(PORTAL, PORTAL_URL, { select: 'div.article-content' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FullTextError);
    expect((error as FullTextError).reason).toMatch(/`div\.article-content` matched nothing.*inspect --full-text/);
  });

  it('a selector that matches only the byline fails as too short', async () => {
    const error = await extractArticle(PORTAL, PORTAL_URL, { select: '.left_name .left_name' }).catch((e: unknown) => e);
    expect((error as FullTextError).reason).toMatch(/only \d+ characters of text and no image/);
  });
});

describe('extractArticle on an English news page', () => {
  it('Readability keeps the story with its figure, heading and links, without the page around it', async () => {
    const { html, pageTitle } = await extractArticle(NEWS, NEWS_URL, {});
    expect(pageTitle).toBe('City council approves riverside park expansion | The Harbour Gazette');
    expect(html).toContain('voted 9–2 on Thursday night');
    expect(html).toContain('short detours near the works.');
    expect(html).toContain('<h2>What happens next</h2>');
    expect(paragraphs(html)).toBe(6);
    expect(html).toContain('<img src="https://news.example.org/local/2026/images/riverside-park-plan.jpg"');
    expect(html).toContain('<figcaption>The plan adds four hectares');
    expect(html).toContain('<a href="https://news.example.org/documents/site-survey-2025.pdf">2025 site survey</a>');
    for (const noise of ['Most read', 'Share on', 'Share this article', 'cookies', 'Privacy', 'Search', 'loadAd', 'dataLayer']) {
      expect(html, noise).not.toContain(noise);
    }
  });

  it('select takes exactly the story body', async () => {
    const { html } = await extractArticle(NEWS, NEWS_URL, { select: '.story-body', remove: ['.related-inline'] });
    expect(html).toContain('public boathouse');
    expect(html).not.toContain('Region awards green infrastructure grants');
    expect(html).not.toContain('City council approves');
  });
});

describe('extractArticle on a page whose body is loaded by script', () => {
  for (const rule of [{}, { select: '#app' }]) {
    it(`fails with the reason (${rule.select ? 'select' : 'Readability'})`, async () => {
      const error = await extractArticle(SCRIPT_ONLY, 'https://m.example.cn/news/20261205001', rule).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FullTextError);
      expect((error as FullTextError).reason).toBe("the page's body has 0 characters of text without its 3 scripts: its article is loaded by JavaScript, which is not run");
    });
  }
});
