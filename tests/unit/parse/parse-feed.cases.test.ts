import { readFileSync } from 'node:fs';
import Parser from 'rss-parser';
import { describe, expect, it } from 'vitest';
import { FeedParseError } from '../../../src/parse/errors.ts';
import { parseFeed } from '../../../src/parse/parse-feed.ts';
import type { ParsedFeed } from '../../../src/parse/types.ts';
import { feedTitleOf } from '../../../src/normalize/feed-title.ts';

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/unit/parse/${name}`, import.meta.url), 'utf8');
}

/** The FeedParseError parseFeed rejects with; fails the test when it resolves or rejects with something else. */
async function parseErrorOf(text: string): Promise<FeedParseError> {
  let feed: ParsedFeed;
  try {
    feed = await parseFeed(text);
  } catch (err) {
    expect(err).toBeInstanceOf(FeedParseError);
    return err as FeedParseError;
  }
  throw new Error(`parseFeed accepted it as a ${feed.format} feed with ${feed.items.length} items`);
}

describe('parseFeed: RSS quirks', () => {
  it('reads HTML entities such as &nbsp; in titles and descriptions instead of failing the document', async () => {
    const feed = await parseFeed(fixture('rss-html-entities-bare-amp.rss.xml'));
    expect(feed).toMatchObject({ format: 'rss', title: '少数派\u00a0—\u00a0科技', link: 'https://sspai.example/', language: 'zh-CN' });
    expect(feed.items[0]).toMatchObject({
      guid: 'sspai-95001',
      guidIsPermaLink: false,
      title: 'iPhone\u00a016 评测：影像…与续航',
      summary: '<p>这是一段\u00a0摘要 © 2025</p>',
      published: 'Sun, 09 Mar 2025 18:42:02 +0800',
      author: { name: '王五' },
    });
  });

  it('reads bare ampersands in links and titles as ampersands', async () => {
    const [first, second] = (await parseFeed(fixture('rss-html-entities-bare-amp.rss.xml'))).items;
    expect(first!.link).toBe('https://sspai.example/post/95001?utm_source=rss&utm_medium=feed&id=95001');
    expect(second!.link).toBe('https://sspai.example/post/95002?a=1&b=2');
    expect(second!.title).toBe('AT&T 与 Verizon 的 5G 之争');
    expect(second!.summary).toBe('无效实体 &foo; 保持原样');
  });

  it('drops control characters that a CMS export left in the text', async () => {
    const feed = await parseFeed(fixture('rss-control-chars.rss.xml'));
    expect(feed.title).toBe('CMS 导出');
    expect(feed.items[0]).toMatchObject({ title: '含控制字符的标题', summary: '正文内容' });
  });

  const guidRows = [
    { why: 'reads plain and domain-qualified categories and skips blank ones', index: 0, categories: ['新闻', '中国'], guidIsPermaLink: true, link: 'https://bbc.example/zhongwen/simp/chinese-news-1' },
    // The parser reports the permalink guid as such; normalize makes it the link (tests/unit/normalize).
    { why: 'marks a guid isPermaLink="true" and leaves the link to normalize when there is no <link>', index: 1, categories: [], guidIsPermaLink: true, link: undefined },
    { why: 'marks a guid with isPermaLink="false" as not a link', index: 2, categories: [], guidIsPermaLink: false, link: 'https://bbc.example/zhongwen/simp/world-3' },
    { why: 'reads isPermaLink=" FALSE " regardless of case and spaces', index: 3, categories: [], guidIsPermaLink: false, link: 'https://bbc.example/zhongwen/simp/world-4' },
  ];
  for (const { why, index, categories, guidIsPermaLink, link } of guidRows) it(why, async () => {
    const item = (await parseFeed(fixture('rss-categories-guids.rss.xml'))).items[index]!;
    expect(item.categories).toEqual(categories);
    expect(item.guidIsPermaLink).toBe(guidIsPermaLink);
    expect(item.link).toBe(link);
  });

  it('reads enclosures, media:content, content:encoded, dc:date and an "email (Name)" author', async () => {
    const feed = await parseFeed(`<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>播客</title>
<item><title>第 42 期</title><link>https://pod.example/42</link>
<description>简介</description><content:encoded><![CDATA[<p>完整节目笔记</p>]]></content:encoded>
<author>editor@pod.example (主播 小王)</author>
<enclosure url="https://pod.example/42.mp3" type="audio/mpeg" length="1234"/>
<media:content url="https://pod.example/42.jpg" medium="image"/>
<media:content url="https://pod.example/42.mp3" type="audio/mpeg"/>
<dc:date>2025-03-09T10:00:00+08:00</dc:date></item>
</channel></rss>`);
    expect(feed.items[0]).toEqual({
      title: '第 42 期',
      link: 'https://pod.example/42',
      summary: '简介',
      content: '<p>完整节目笔记</p>',
      author: { email: 'editor@pod.example', name: '主播 小王' },
      published: '2025-03-09T10:00:00+08:00',
      categories: [],
      enclosures: [
        { url: 'https://pod.example/42.mp3', type: 'audio/mpeg', length: 1234 },
        { url: 'https://pod.example/42.jpg', type: 'image/jpeg' },
      ],
    });
  });
});

describe('parseFeed: hostile DTDs', () => {
  it('does not expand billion-laughs entities: the result stays small', async () => {
    const text = fixture('billion-laughs.rss.xml');
    let size = 0;
    try {
      size = JSON.stringify(await parseFeed(text)).length;
    } catch (err) {
      expect(err).toBeInstanceOf(FeedParseError);
    }
    expect(size).toBeLessThan(text.length);
  });

  it('never puts the content of a file named by an external entity into the feed', async () => {
    const passwd = (() => {
      try {
        return readFileSync('/etc/passwd', 'utf8');
      } catch {
        return 'root:x:0:0';
      }
    })();
    const firstLine = passwd.split('\n')[0]!;
    let serialised = '';
    try {
      serialised = JSON.stringify(await parseFeed(fixture('xxe-file-passwd.rss.xml')));
    } catch (err) {
      expect(err).toBeInstanceOf(FeedParseError);
      serialised = String((err as Error).message);
    }
    expect(serialised).not.toContain(firstLine);
    expect(serialised).not.toContain('root:');
  });
});

describe('parseFeed: Atom', () => {
  it('is a document the stock rss-parser rejects whole over one bad <published>', async () => {
    await expect(new Parser().parseString(fixture('atom-invalid-published.atom.xml'))).rejects.toThrow();
  });

  it('keeps every entry when one entry has an unparsable <published>, passing the raw date on', async () => {
    const feed = await parseFeed(fixture('atom-invalid-published.atom.xml'));
    expect(feed).toMatchObject({ format: 'atom', title: '某技术博客', link: 'https://blog.example.cn/' });
    expect(feed.items.map((i) => i.title)).toEqual(['Rust 异步运行时对比', '草稿：日期写错了', '<b>Go</b> 泛型实践']);
    expect(feed.items[1]).toMatchObject({ guid: 'tag:blog.example.cn,2025:post-2', published: '2025年3月8日 18:42', updated: 'not a date' });
    expect(feed.items[2]).toMatchObject({ published: '2025-03-07T09:30:00Z' });
  });

  it('reads Atom category label, falling back to term, and a full author', async () => {
    const [first] = (await parseFeed(fixture('atom-invalid-published.atom.xml'))).items;
    expect(first).toEqual({
      guid: 'tag:blog.example.cn,2025:post-1',
      language: 'zh-CN',
      title: 'Rust 异步运行时对比',
      link: 'https://blog.example.cn/posts/1',
      published: '2025-03-09T10:00:00+08:00',
      updated: '2025-03-09T12:00:00+08:00',
      summary: '比较 tokio 与 async-std。',
      content: '<p>正文</p>',
      author: { name: '张三', email: 'zhangsan@blog.example.cn', uri: 'https://blog.example.cn/about' },
      categories: ['Rust 语言', 'async'],
      enclosures: [],
    });
  });

  it('marks a type="html" title as HTML', async () => {
    const items = (await parseFeed(fixture('atom-invalid-published.atom.xml'))).items;
    expect(items[2]!.titleIsHtml).toBe(true);
    expect(items[0]!.titleIsHtml).toBeUndefined();
  });
});

const ATOM = 'xmlns="http://www.w3.org/2005/Atom"';
const atomFeed = (title: string) => `<feed ${ATOM}>${title}<id>urn:x</id><updated>2025-03-09T00:00:00Z</updated>`
  + '<entry><id>urn:e</id><title>Entry</title><updated>2025-03-09T00:00:00Z</updated></entry></feed>';
const rssFeed = (title: string) => `<rss version="2.0"><channel>${title}<link>https://x.example/</link><description>d</description>`
  + '<image><url>https://x.example/logo.png</url><title>Logo title</title><link>https://x.example/</link></image>'
  + '<item><title>Item</title><link>https://x.example/1</link></item></channel></rss>';
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

// The feed's own title, read as each format writes it, and the plain text normalize makes of it (a source's name
// in every output feed and the index).
const feedTitleRows: { why: string; doc: string; title: string | undefined; isHtml: boolean; plain: string | undefined }[] = [
  { why: 'Atom type="html": HTML, its markup dropped from the plain text', doc: atomFeed('<title type="html">News &lt;img src=x onerror=alert(1)&gt;&amp;amp; Views</title>'),
    title: 'News <img src=x onerror=alert(1)>&amp; Views', isHtml: true, plain: 'News & Views' },
  { why: 'Atom type="xhtml": its text kept, not lost', doc: atomFeed('<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Deep <em>Space</em> &amp; <img src="x" onerror="alert(1)"/>Time</div></title>'),
    title: 'Deep <em>Space</em> &amp; <img src="x" onerror="alert(1)">Time', isHtml: true, plain: 'Deep Space & Time' },
  { why: 'Atom 0.3 mode="base64" HTML: decoded, not its base64 code', doc: `<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title type="text/html" mode="base64">${base64('Base64 <img src=x onerror=alert(1)>Wire')}</title><modified>2025-03-09T00:00:00Z</modified></feed>`,
    title: 'Base64 <img src=x onerror=alert(1)>Wire', isHtml: true, plain: 'Base64 Wire' },
  { why: 'Atom type="text": text, an escaped tag in it is text', doc: atomFeed('<title type="text">Why &lt;T&gt; matters</title>'),
    title: 'Why <T> matters', isHtml: false, plain: 'Why <T> matters' },
  { why: 'RSS: text with entities, a leaked img tag dropped', doc: rssFeed('<title>News &lt;img src=x onerror=alert(1)&gt;</title>'),
    title: 'News <img src=x onerror=alert(1)>', isHtml: false, plain: 'News' },
  { why: 'RSS: elements pasted unescaped into the channel title are HTML', doc: rssFeed('<title>Raw <b>bold</b> title</title>'),
    title: 'Raw <b>bold</b> title', isHtml: true, plain: 'Raw bold title' },
  { why: 'RSS: the channel title, not the <image> title', doc: rssFeed('<title>Channel</title>'), title: 'Channel', isHtml: false, plain: 'Channel' },
  { why: 'Atom without a title: none', doc: atomFeed(''), title: undefined, isHtml: false, plain: undefined },
];

describe('parseFeed: the feed\'s own title', () => {
  for (const { why, doc, title, isHtml, plain } of feedTitleRows) {
    it(why, async () => {
      const feed = await parseFeed(doc);
      expect(feed.title).toBe(title);
      expect(feed.titleIsHtml ?? false).toBe(isHtml);
      expect(feedTitleOf(feed)).toBe(plain);
    });
  }
});

describe('parseFeed: RSS 1.0 and JSON Feed', () => {
  it('reads RSS 1.0 (RDF) items with dc:date, dc:creator and rdf:about as guid', async () => {
    const feed = await parseFeed(fixture('rdf-dc-date.rdf.xml'));
    expect(feed).toMatchObject({ format: 'rdf', title: '德国之声 中文', link: 'https://dw.example/zh/' });
    expect(feed.items).toHaveLength(2);
    expect(feed.items[0]).toMatchObject({
      guid: 'https://dw.example/zh/a-71900001',
      title: '德国大选结果揭晓',
      link: 'https://dw.example/zh/a-71900001',
      published: '2025-03-09T10:42:02Z',
      summary: '联盟党赢得最多席位。',
      author: { name: '德国之声中文网' },
    });
    expect(feed.items[1]!.published).toBe('2025-03-08T18:00:00+01:00');
  });

  it('reads a JSON Feed 1.1 document', async () => {
    const feed = await parseFeed(fixture('jsonfeed-1.1.json'));
    expect(feed).toMatchObject({ format: 'json', title: '爱范儿', link: 'https://ifanr.example/', language: 'zh-CN' });
    expect(feed.items[0]).toEqual({
      guid: 'https://ifanr.example/1600001',
      language: 'zh-CN',
      title: '小米 15 Ultra 上手',
      link: 'https://ifanr.example/1600001',
      published: '2025-03-09T18:42:02+08:00',
      updated: '2025-03-09T20:00:00+08:00',
      summary: '影像旗舰',
      content: '<p>影像旗舰。</p>',
      author: { name: '李四', uri: 'https://ifanr.example/author/lisi' },
      categories: ['手机', '小米'],
      enclosures: [{ url: 'https://ifanr.example/podcast/1.mp3', type: 'audio/mpeg', length: 1048576 }],
    });
  });

  it('turns a numeric JSON Feed id into a string guid and escapes content_text as HTML', async () => {
    const item = (await parseFeed(fixture('jsonfeed-1.1.json'))).items[1]!;
    expect(item).toMatchObject({ guid: '1600002', link: 'https://example.com/elsewhere', content: '纯文本 a &lt; b<br>第二行' });
  });
});

describe('parseFeed: not a feed', () => {
  const notFeeds = [
    { why: 'an HTML error page after a comment', text: fixture('html-error-page.html'), mentions: /HTML/ },
    { why: 'a bare <html> page', text: '<html lang="zh"><body>维护中</body></html>', mentions: /HTML/ },
    { why: 'an HTML page with a BOM and an HTML 4 doctype', text: '\ufeff  <!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"><html></html>', mentions: /HTML/ },
    { why: 'an empty body', text: '', mentions: /not a feed/ },
    { why: 'a body of whitespace', text: ' \r\n\t ', mentions: /not a feed/ },
    { why: 'a plain-text error', text: 'Service Unavailable', mentions: /Service Unavailable/ },
    { why: 'truncated XML', text: '<rss version="2.0"><channel><title>x</title><item><title>半截</channel>', mentions: /unparsable XML/ },
    { why: 'XML that is no feed', text: '<?xml version="1.0"?><error><code>403</code></error>', mentions: /unparsable XML/ },
    { why: 'JSON that is no JSON Feed', text: '{"code":403,"message":"forbidden"}', mentions: /JSON Feed/ },
    { why: 'truncated JSON', text: '{"version":"https://jsonfeed.org/version/1.1","items":[', mentions: /unparsable JSON/ },
  ];
  for (const { why, text, mentions } of notFeeds) it(`rejects ${why} with a FeedParseError saying what it was`, async () => {
    expect((await parseErrorOf(text)).message).toMatch(mentions);
  });

  // regression: an XHTML page (XML declaration, then <!DOCTYPE html ...>) is reported as
  // "unparsable XML: Feed not recognized as RSS 1 or 2." instead of as an HTML page.
  it('rejects an XHTML page that starts with an XML declaration as an HTML page', async () => {
    expect((await parseErrorOf(fixture('xhtml-homepage.html'))).message).toMatch(/HTML/);
  });
});
