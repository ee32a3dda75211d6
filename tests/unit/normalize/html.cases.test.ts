import { describe, expect, it } from 'vitest';
import { cleanHtml } from '../../../src/normalize/html.ts';
import { toPlainText } from '../../../src/normalize/plain-text.ts';

const BASE = 'https://news.example.cn/2025/03/09/story.html';
const SMALL_PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const LARGE_PNG = `data:image/png;base64,${'iVBORw0KGgo'.repeat(2000)}`;

const cleanRows: { why: string; html: string; expected: string | undefined }[] = [
  { why: 'drops script and its text', html: '<p>你好<script>alert(1)</script>世界</p>', expected: '<p>你好世界</p>' },
  { why: 'drops style and its text', html: '<style>p{color:red}</style><p>正文</p>', expected: '<p>正文</p>' },
  { why: 'drops iframe, object and embed', html: '<iframe src="https://evil.example/"></iframe><object data="x.swf"><param name="a"></object><embed src="x.swf"><p>正文</p>', expected: '<p>正文</p>' },
  { why: 'drops forms with their controls and button labels', html: '<form action="/login"><input name="pw"><button>登录</button></form><p>正文</p>', expected: '<p>正文</p>' },
  { why: 'drops svg with its handlers and math with its text', html: '<svg onload="alert(1)"><circle r="1"/></svg><math><mi>x</mi></math><p>after</p>', expected: '<p>after</p>' },
  { why: 'drops textarea, noscript and template', html: '<textarea>t</textarea><noscript>n</noscript><template>tt</template><p>x</p>', expected: '<p>x</p>' },
  { why: 'drops on* handlers, style, class and id', html: '<p onclick="steal()" style="color:red" class="c" id="i" onmouseover="x()">正文</p>', expected: '<p>正文</p>' },
  { why: 'drops a javascript: href', html: '<a href="javascript:alert(1)">链接</a>', expected: '<a>链接</a>' },
  { why: 'drops a mixed-case javascript: href', html: '<a href="JaVaScRiPt:alert(1)">链接</a>', expected: '<a>链接</a>' },
  { why: 'drops a javascript: href hidden by entities and a tab', html: '<a href="java&#x09;script&colon;alert(1)">链接</a>', expected: '<a>链接</a>' },
  { why: 'drops a vbscript: href', html: '<a href="vbscript:msgbox(1)">链接</a>', expected: '<a>链接</a>' },
  { why: 'drops a data: href', html: '<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">链接</a>', expected: '<a>链接</a>' },
  { why: 'drops an img whose src is javascript:', html: '<p>a<img src="javascript:alert(1)">b</p>', expected: '<p>ab</p>' },
  { why: 'drops a data: svg image', html: '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" alt="svg">', expected: undefined },
  { why: 'drops a data: image larger than the limit', html: `<p>图表<img src="${LARGE_PNG}" alt="大图"></p>`, expected: '<p>图表</p>' },
  { why: 'keeps a small data: PNG', html: `<img src="${SMALL_PNG}" alt="点">`, expected: `<img src="${SMALL_PNG}" alt="点" />` },
  {
    why: 'resolves relative links and images against the base and drops target and rel',
    html: '<a href="/a/b?x=1" target="_blank" rel="nofollow">相关</a><img src="pic.jpg" onerror="x()" alt="图">',
    expected: '<a href="https://news.example.cn/a/b?x=1">相关</a><img src="https://news.example.cn/2025/03/09/pic.jpg" alt="图" />',
  },
  { why: 'gives a protocol-relative link the https scheme of the base', html: '<a href="//cdn.example/x">cdn</a>', expected: '<a href="https://cdn.example/x">cdn</a>' },
  { why: 'keeps a mailto: link', html: '<a href="mailto:editor@news.example.cn">来信</a>', expected: '<a href="mailto:editor@news.example.cn">来信</a>' },
  { why: 'takes a lazy image from data-original when there is no src', html: '<img data-original="/lazy.jpg" alt="懒">', expected: '<img alt="懒" src="https://news.example.cn/lazy.jpg" />' },
  {
    why: 'keeps figure, figcaption, blockquote, pre, code and table with colspan',
    html: '<figure><img src="/f.png" alt="f"><figcaption>说明</figcaption></figure><blockquote><p>引文</p></blockquote><pre><code>a &lt; b &amp;&amp; c</code></pre><table><thead><tr><th scope="col">列</th></tr></thead><tbody><tr><td colspan="2">格</td></tr></tbody></table>',
    expected: '<figure><img src="https://news.example.cn/f.png" alt="f" /><figcaption>说明</figcaption></figure><blockquote><p>引文</p></blockquote><pre><code>a &lt; b &amp;&amp; c</code></pre><table><thead><tr><th scope="col">列</th></tr></thead><tbody><tr><td colspan="2">格</td></tr></tbody></table>',
  },
  { why: 'closes tags a broken fragment leaves open', html: '<p>未闭合 <b>粗 <i>斜</p><div>', expected: '<p>未闭合 <b>粗 <i>斜</i></b></p><div></div>' },
  { why: 'keeps lang and dir on any element', html: '<p lang="zh-Hans" dir="ltr">中文</p>', expected: '<p lang="zh-Hans" dir="ltr">中文</p>' },
  { why: 'gives nothing for whitespace', html: '  \n ', expected: undefined },
  { why: 'gives nothing when only dropped elements were there', html: '<script>alert(1)</script>', expected: undefined },
];

describe('cleanHtml', () => {
  for (const { why, html, expected } of cleanRows) {
    it(why, () => {
      expect(cleanHtml(html, BASE)).toBe(expected);
    });
  }

  it('gives nothing for no HTML', () => {
    expect(cleanHtml(undefined, BASE)).toBeUndefined();
  });

  it('keeps a relative link as it is when there is no base to resolve it against', () => {
    expect(cleanHtml('<a href="/a">相对</a>', undefined)).toBe('<a href="/a">相对</a>');
  });

  // regression: lazy-loading markup <img src="" data-src="…"> (WeChat and many Chinese CMSs) loses the image:
  // `attribs.src ?? attribs['data-src']` keeps the empty src, and the filter then drops the img.
  it('takes a lazy image from data-src when src is empty', () => {
    expect(cleanHtml('<p><img src="" data-src="/lazy.jpg" alt="懒加载"></p>', BASE))
      .toBe('<p><img src="https://news.example.cn/lazy.jpg" alt="懒加载" /></p>');
  });
});

const titleRows: { why: string; title: string; isHtml: boolean; expected: string }[] = [
  { why: 'decodes a double-escaped ampersand', title: 'AT&amp;amp;T 发布新品', isHtml: false, expected: 'AT&T 发布新品' },
  { why: 'decodes a single-escaped ampersand', title: 'Tom &amp; Jerry', isHtml: false, expected: 'Tom & Jerry' },
  { why: 'decodes numeric and named references', title: '&#8220;两会&#8221;观察&hellip;', isHtml: false, expected: '“两会”观察…' },
  { why: 'keeps angle brackets that are no HTML tag', title: 'Why <T> matters', isHtml: false, expected: 'Why <T> matters' },
  { why: 'keeps C++ template brackets', title: 'Vector<int> and Map<K, V>', isHtml: false, expected: 'Vector<int> and Map<K, V>' },
  { why: 'keeps escaped operators as text', title: 'a &lt; b &amp;&amp; c &gt; d', isHtml: false, expected: 'a < b && c > d' },
  { why: 'strips formatting tags a CMS leaked into a text title', title: '<b>重磅</b>：<font color="red">新品</font>发布', isHtml: false, expected: '重磅：新品发布' },
  { why: 'strips a paragraph tag', title: '<p>段落标题</p>', isHtml: false, expected: '段落标题' },
  { why: 'keeps an escaped tag inside code as text', title: 'Using <code>&lt;div&gt;</code> tags', isHtml: false, expected: 'Using <div> tags' },
  { why: 'strips tags from an HTML title and decodes it once', title: '<b>Go</b> 泛型 &amp;amp; 实践', isHtml: true, expected: 'Go 泛型 &amp; 实践' },
  { why: 'keeps a lone < > in an HTML title', title: 'x < y > z', isHtml: true, expected: 'x < y > z' },
  { why: 'collapses spaces, no-break spaces and ideographic spaces', title: '  多个   空格\u3000全角\u00a0空格 ', isHtml: false, expected: '多个 空格 全角 空格' },
];

describe('toPlainText of titles', () => {
  for (const { why, title, isHtml, expected } of titleRows) {
    it(why, () => {
      expect(toPlainText(title, isHtml ? 'html' : 'text')).toBe(expected);
    });
  }
});

describe('toPlainText of HTML', () => {
  it('drops tags and script text, decodes entities and collapses spaces', () => {
    expect(toPlainText('<p>第一段&nbsp;&amp;</p>\n<script>var x = 1;</script><p>第二段</p>', 'html')).toBe('第一段 & 第二段');
  });
});
