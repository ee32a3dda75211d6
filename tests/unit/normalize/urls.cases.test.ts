import { describe, expect, it } from 'vitest';
import { canonicalUrl, resolveUrl, trackingParams, withoutTrackingParams } from '../../../src/normalize/urls.ts';

const canonicalRows: { why: string; link: string; expected: string | undefined }[] = [
  {
    why: 'drops utm_*, spm, from and fbclid and keeps the real parameters',
    link: 'https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml?utm_source=rss&utm_medium=feed&id=3&spm=C73544894212.P59511941341.0.0&from=timeline&fbclid=IwAR0xyz',
    expected: 'https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml?id=3',
  },
  {
    why: 'drops tracking parameters whatever their case',
    link: 'https://sspai.example/post/1?Utm_Campaign=x&REF_SRC=twsrc&gclid=1',
    expected: 'https://sspai.example/post/1',
  },
  {
    why: 'keeps a parameter that only starts like a tracking one',
    link: 'https://sspai.example/post/1?from=rss&fromage=brie',
    expected: 'https://sspai.example/post/1?fromage=brie',
  },
  { why: 'makes http and https alike', link: 'http://sspai.example/post/1', expected: 'https://sspai.example/post/1' },
  { why: 'drops the default http port', link: 'http://sspai.example:80/post/1', expected: 'https://sspai.example/post/1' },
  { why: 'drops the default https port', link: 'https://sspai.example:443/post/1', expected: 'https://sspai.example/post/1' },
  { why: 'keeps a non-default port', link: 'https://sspai.example:8443/post/1', expected: 'https://sspai.example:8443/post/1' },
  { why: 'drops the fragment', link: 'https://sspai.example/post/1#comments', expected: 'https://sspai.example/post/1' },
  { why: 'lower-cases the host and drops its trailing dot', link: 'https://WWW.Example.CN./News/A.html', expected: 'https://www.example.cn/News/A.html' },
  { why: 'drops credentials', link: 'https://user:secret@example.cn/x', expected: 'https://example.cn/x' },
  { why: 'sorts the query by name, then value', link: 'https://example.cn/list?page=2&cat=b&cat=a', expected: 'https://example.cn/list?cat=a&cat=b&page=2' },
  { why: 'drops an empty query', link: 'https://example.cn/x?', expected: 'https://example.cn/x' },
  { why: 'drops a query made only of tracking parameters', link: 'https://example.cn/x?utm_source=weibo&scene=1', expected: 'https://example.cn/x' },
  { why: 'writes an IDN host in punycode and percent-encodes a Chinese path and query', link: 'https://例子.中国/新闻?q=中文', expected: 'https://xn--fsqu00a.xn--fiqs8s/%E6%96%B0%E9%97%BB?q=%E4%B8%AD%E6%96%87' },
  { why: 'gives nothing for an ftp link', link: 'ftp://example.cn/x', expected: undefined },
  { why: 'gives nothing for a javascript: link', link: 'javascript:alert(1)', expected: undefined },
  { why: 'gives nothing for text that is not a URL', link: 'not a url', expected: undefined },
];

describe('canonicalUrl', () => {
  for (const { why, link, expected } of canonicalRows) {
    it(why, () => {
      expect(canonicalUrl(link)).toBe(expected);
    });
  }

  it('gives one form for the same story linked with and without tracking, port, scheme and fragment', () => {
    const forms = [
      'https://www.ifanr.example/1600001',
      'http://www.ifanr.example/1600001?utm_source=rss',
      'http://www.ifanr.example:80/1600001#comments',
      'https://WWW.IFANR.EXAMPLE:443/1600001?from=timeline&isappinstalled=0',
    ];
    expect(new Set(forms.map((f) => canonicalUrl(f))).size).toBe(1);
  });

  it('uses the tracking list it is given instead of the default', () => {
    expect(canonicalUrl('https://example.cn/x?utm_source=a&sid=1', trackingParams(['sid']))).toBe('https://example.cn/x?utm_source=a');
  });
});

const resolveRows: { why: string; value: string | undefined; base: string | undefined; expected: string | undefined }[] = [
  { why: 'resolves a root-relative image path against the story', value: '/img/ai.jpg', base: 'https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml', expected: 'https://www.chinanews.example.cn/img/ai.jpg' },
  { why: 'resolves a parent-relative path', value: '../b.html', base: 'https://e.example/a/b/c.html', expected: 'https://e.example/a/b.html' },
  { why: 'resolves a sibling path', value: 'pic.jpg', base: 'https://e.example/2025/03/story.html', expected: 'https://e.example/2025/03/pic.jpg' },
  { why: 'resolves a protocol-relative URL with the base scheme', value: '//cdn.example/x.png', base: 'https://e.example/', expected: 'https://cdn.example/x.png' },
  { why: 'resolves a query-only reference', value: '?page=2', base: 'https://e.example/list?page=1', expected: 'https://e.example/list?page=2' },
  { why: 'keeps a fragment it is given', value: '#frag', base: 'https://e.example/a', expected: 'https://e.example/a#frag' },
  { why: 'trims whitespace around an absolute URL and needs no base for it', value: '  https://e.example/x  ', base: undefined, expected: 'https://e.example/x' },
  { why: 'percent-encodes a space', value: 'https://e.example/a b', base: undefined, expected: 'https://e.example/a%20b' },
  { why: 'refuses a javascript: URL', value: 'javascript:alert(1)', base: 'https://e.example/', expected: undefined },
  { why: 'refuses a mailto: URL', value: 'mailto:editor@e.example', base: 'https://e.example/', expected: undefined },
  { why: 'refuses a data: URL', value: 'data:text/html,<script>alert(1)</script>', base: 'https://e.example/', expected: undefined },
  { why: 'refuses a relative path without a base', value: 'relative/path', base: undefined, expected: undefined },
  { why: 'refuses a malformed URL', value: 'http://[::1', base: undefined, expected: undefined },
  { why: 'gives nothing for an empty value', value: '', base: 'https://e.example/', expected: undefined },
  { why: 'gives nothing for whitespace', value: '   ', base: 'https://e.example/', expected: undefined },
  { why: 'gives nothing for no value', value: undefined, base: 'https://e.example/', expected: undefined },
];

describe('resolveUrl', () => {
  for (const { why, value, base, expected } of resolveRows) {
    it(why, () => {
      expect(resolveUrl(value, base)).toBe(expected);
    });
  }
});

describe('withoutTrackingParams (guids that are URLs)', () => {
  it.each([
    ['http://site.example/a?utm_source=rss&id=7', 'http://site.example/a?id=7', 'drops tracking parameters, keeps the scheme'],
    ['https://site.example/a?id=7&spm=a.b', 'https://site.example/a?id=7', 'drops spm'],
    ['https://site.example/a?b=2&a=1', 'https://site.example/a?b=2&a=1', 'no tracking parameter: the text exactly as given'],
    ['HTTP://Site.example/a', 'HTTP://Site.example/a', 'no query: untouched'],
    ['urn:uuid:1234?utm_source=x', 'urn:uuid:1234?utm_source=x', 'not an http(s) URL: untouched'],
    ['story-7', 'story-7', 'not a URL'],
  ])('%s -> %s (%s)', (input, expected) => {
    expect(withoutTrackingParams(input)).toBe(expected);
  });
});
