import { describe, expect, it } from 'vitest';
import { titleFingerprint } from '../../../src/normalize/fingerprint.ts';
import { canonicalUrl, resolveUrl, trackingParams } from '../../../src/normalize/urls.ts';

// [quirk, link as a source gave it, canonical form]
const canonical: [string, string, string | undefined][] = [
  ['upper-case scheme and host lowered', 'HTTPS://News.Example.COM/a/B', 'https://news.example.com/a/B'],
  ['http and https alike', 'http://news.example.com/a', 'https://news.example.com/a'],
  ['default http port dropped', 'http://news.example.com:80/a', 'https://news.example.com/a'],
  ['default https port dropped', 'https://news.example.com:443/a', 'https://news.example.com/a'],
  ['other ports kept', 'https://news.example.com:8443/a', 'https://news.example.com:8443/a'],
  ['fragment dropped', 'https://news.example.com/a#comments', 'https://news.example.com/a'],
  ['utm_* dropped', 'https://news.example.com/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x', 'https://news.example.com/a'],
  ['spm and from dropped (Chinese portals)', 'https://finance.example.com.cn/doc.shtml?from=rss&spm=a1.b2', 'https://finance.example.com.cn/doc.shtml'],
  ['fbclid and gclid dropped', 'https://news.example.com/a?fbclid=IwAR0&gclid=Cj0', 'https://news.example.com/a'],
  ['WeChat share parameters dropped', 'https://mp.example.qq.com/s?__biz=MzA&mid=22&scene=21&isappinstalled=0#wechat_redirect', 'https://mp.example.qq.com/s?__biz=MzA&mid=22'],
  ['content parameters kept and sorted', 'https://news.example.com/a?page=2&id=7&utm_source=x', 'https://news.example.com/a?id=7&page=2'],
  ['credentials dropped', 'https://user:pw@news.example.com/a', 'https://news.example.com/a'],
  ['trailing dot of the host dropped', 'https://news.example.com./a', 'https://news.example.com/a'],
  ['non-web schemes have no canonical form', 'ftp://files.example.com/a', undefined],
  ['garbage has no canonical form', 'not a url', undefined],
];

describe('canonicalUrl makes the link two sources agree on', () => {
  it.each(canonical)('%s', (_quirk, link, expected) => {
    expect(canonicalUrl(link)).toBe(expected);
  });

  it('takes the tracking parameter list from the config (dedupe.trackingParams), with prefixes', () => {
    const custom = trackingParams(['ref', 'session_*']);
    expect(canonicalUrl('https://a.example/x?ref=home&session_id=1&utm_source=y', custom)).toBe('https://a.example/x?utm_source=y');
  });
});

describe('resolveUrl makes links absolute', () => {
  it.each([
    ['a relative path', 'b/c.html', 'https://a.example/x/y.xml', 'https://a.example/x/b/c.html'],
    ['a root-relative path', '/c.html', 'https://a.example/x/y.xml', 'https://a.example/c.html'],
    ['a protocol-relative URL', '//cdn.example/i.jpg', 'http://a.example/', 'http://cdn.example/i.jpg'],
    ['whitespace and line breaks around a CDATA link', '\n  https://a.example/p \n', undefined, 'https://a.example/p'],
    ['a javascript: URL', 'javascript:alert(1)', 'https://a.example/', undefined],
    ['nothing', '', 'https://a.example/', undefined],
  ])('%s', (_what, value, base, expected) => {
    expect(resolveUrl(value, base)).toBe(expected);
  });
});

// [quirk, one source's title, another's, same story?]
const fingerprints: [string, string, string, boolean][] = [
  ['full-width and half-width colon', '国产大模型：既需“仰望星空”也要脚踏实地', '国产大模型:既需“仰望星空”也要脚踏实地', true],
  ['full-width space and ellipsis', '国产大模型：既需…　仰望星空', '国产大模型: 既需... 仰望星空', true],
  ['full-width letters and digits', 'ＡＩ芯片３月出货量创新高', 'AI芯片3月出货量创新高', true],
  ['case and punctuation', 'Summit Ends With Climate Pledge!', 'summit ends with climate pledge', true],
  ['different stories', '国产大模型：既需“仰望星空”也要脚踏实地', '国产大模型：仰望星空之后', false],
];

describe('titleFingerprint identifies a story across sources', () => {
  it.each(fingerprints)('%s', (_quirk, a, b, same) => {
    expect(titleFingerprint(a)).toBeDefined();
    expect(titleFingerprint(a) === titleFingerprint(b)).toBe(same);
  });

  it.each(['快讯', 'Update', '图片新闻', '   '])('gives none for a title too generic to identify a story: %j', (title) => {
    expect(titleFingerprint(title)).toBeUndefined();
  });
});
