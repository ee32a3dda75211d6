import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cleanHtml } from '../../../src/normalize/html.ts';
import { toPlainText } from '../../../src/normalize/plain-text.ts';
import { parseFeed } from '../../../src/parse/parse-feed.ts';

const BASE = 'https://news.example.com/2025/03/story.html';
const tinyPng = 'data:image/png;base64,iVBORw0KGgo=';
const bigPng = `data:image/png;base64,${'A'.repeat(20_000)}`;

// [what the source sent, input HTML, expected clean HTML]
const rows: [string, string, string | undefined][] = [
  ['keeps paragraphs, emphasis and links', '<p>A <b>bold</b> <a href="https://x.example/">link</a></p>', '<p>A <b>bold</b> <a href="https://x.example/">link</a></p>'],
  ['resolves relative links and images against the base', '<a href="/more">m</a><img src="img/a.jpg">', '<a href="https://news.example.com/more">m</a><img src="https://news.example.com/2025/03/img/a.jpg" />'],
  ['resolves protocol-relative images', '<img src="//cdn.example.com/a.jpg">', '<img src="https://cdn.example.com/a.jpg" />'],
  ['drops script with its content', '<p>Hi<script>alert(1)</script></p>', '<p>Hi</p>'],
  ['drops style elements and style attributes', '<style>p{display:none}</style><p style="color:red">x</p>', '<p>x</p>'],
  ['drops event handlers', '<p onclick="steal()">x</p><img src="/a.png" onerror="steal()">', '<p>x</p><img src="https://news.example.com/a.png" />'],
  ['drops javascript: links, whatever their case or encoding', '<a href="JaVaScRiPt&#58;alert(1)">x</a>', '<a>x</a>'],
  ['drops javascript: with embedded whitespace', '<a href="java\tscript:alert(1)">x</a>', '<a>x</a>'],
  ['drops vbscript: links', '<a href="vbscript:msgbox(1)">x</a>', '<a>x</a>'],
  ['drops data: links', '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', '<a>x</a>'],
  ['keeps a small data: PNG', `<img src="${tinyPng}" alt="dot">`, `<img src="${tinyPng}" alt="dot" />`],
  ['drops a large data: image, and the image with it', `<p>a<img src="${bigPng}">b</p>`, '<p>ab</p>'],
  ['drops data: SVG images (script inside)', '<img src="data:image/svg+xml;base64,PHN2Zz4=">', undefined],
  ['drops iframe, object and embed', '<iframe src="https://evil.example/"></iframe><object data="x"></object><embed src="x">ok', 'ok'],
  ['drops form controls, keeps no button text', '<form action="/x"><input name="q"><button>Go</button></form>text', 'text'],
  ['drops meta refresh', '<meta http-equiv="refresh" content="0;url=https://evil.example/">ok', 'ok'],
  ['drops svg and math with their content', '<svg onload="x()"><text>s</text></svg><math><mi>x</mi></math>ok', 'ok'],
  ['takes the lazy-loaded image over its placeholder', '<img src="/blank.gif" data-src="/real.jpg">', '<img src="https://news.example.com/real.jpg" />'],
  ['takes data-original (jQuery lazyload)', '<img data-original="https://img.example.cn/a.jpg">', '<img src="https://img.example.cn/a.jpg" />'],
  ['keeps tables with spans', '<table><tr><th scope="col">h</th><td colspan="2" class="x">c</td></tr></table>', '<table><tr><th scope="col">h</th><td colspan="2">c</td></tr></table>'],
  ['keeps figures and captions', '<figure><img src="/f.jpg" alt="f"><figcaption>cap</figcaption></figure>', '<figure><img src="https://news.example.com/f.jpg" alt="f" /><figcaption>cap</figcaption></figure>'],
  ['keeps quotes, code and headings', '<h2>T</h2><blockquote>q</blockquote><pre><code>a &lt; b</code></pre>', '<h2>T</h2><blockquote>q</blockquote><pre><code>a &lt; b</code></pre>'],
  ['keeps lists', '<ol start="3"><li>a</li></ol><ul><li>b</li></ul>', '<ol start="3"><li>a</li></ol><ul><li>b</li></ul>'],
  ['keeps mailto links', '<a href="mailto:desk@example.com">mail</a>', '<a href="mailto:desk@example.com">mail</a>'],
  ['unwraps unknown tags, keeps their text', '<font color="red"><center>old</center></font>', 'old'],
  ['empty after cleaning is nothing', '<script>x</script>', undefined],
];

describe('cleanHtml keeps what readers need and nothing that runs', () => {
  it.each(rows)('%s', (_what, html, expected) => {
    expect(cleanHtml(html, BASE)).toBe(expected);
  });

  it('cleans every vector of the hostile fixture and keeps its structure', async () => {
    const feed = await parseFeed(readFileSync(new URL('../../fixtures/hostile/script-in-item-html.rss.xml', import.meta.url), 'utf8'));
    const html = cleanHtml(feed.items[0]!.content, BASE)!;
    expect(html).not.toMatch(/<(script|style|iframe|object|embed|form|input|meta|svg|math|textarea)\b/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/javascript:|vbscript:|data:text|data:image\/svg/i);
    for (const kept of ['<table>', '<blockquote>', '<pre><code>', '<figure>', '<figcaption>', '<h2>', '<ul>', '<a href="https://news.example.com/ok">']) {
      expect(html).toContain(kept);
    }
    expect(html).toContain('src="https://news.example.com/real.jpg"');
  });
});

// [what the source sent, title, is HTML, expected text]
const titles: [string, string, boolean, string][] = [
  ['entities decoded', 'Caf&eacute; &amp; bar', false, 'Café & bar'],
  ['double-escaped entities decoded', 'AT&amp;amp;T &amp;amp; friends', false, 'AT&T & friends'],
  ['HTML tags leaked into an RSS title dropped', '<b>Breaking</b>: news', false, 'Breaking: news'],
  ['angle brackets that are no tag kept', 'Why <T> matters', false, 'Why <T> matters'],
  ['HTML title (Atom type="html") to text', 'L&#8217;&eacute;t&eacute; <i>arrive</i>', true, 'L’été arrive'],
  ['full-width spaces and newlines collapsed', '北京今日晴转多云\u3000\n 气温回升', false, '北京今日晴转多云 气温回升'],
  ['control characters dropped', 'Bell\u0007 and escape\u001b', false, 'Bell and escape'],
];

describe('toPlainText makes plain text of titles', () => {
  it.each(titles)('%s', (_what, title, isHtml, expected) => {
    expect(toPlainText(title, isHtml ? 'html' : 'text')).toBe(expected);
  });

  it.each([
    ['drops the content of script and style', '<p>a</p><script>b</script><style>c</style>d', 'a d'],
    ['ends words at line breaks and blocks', 'Hello<br>world<p>one</p><p>two</p><ul><li>x</li><li>y</li></ul>', 'Hello world one two x y'],
    ['keeps inline markup inside words', 'in<b>line</b> <i>text</i>', 'inline text'],
  ])('html form %s', (_what, html, expected) => {
    expect(toPlainText(html, 'html')).toBe(expected);
  });
});
