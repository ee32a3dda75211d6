import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FeedParseError } from '../../../src/parse/errors.ts';
import { parseFeed } from '../../../src/parse/parse-feed.ts';
import type { ParsedFeed, RawItem } from '../../../src/parse/types.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/feeds/${name}`, import.meta.url), 'utf8');
const DOC = 'https://feeds.example.test/feed.xml';

interface Row {
  quirk: string;
  fixture: string;
  feed?: Partial<Omit<ParsedFeed, 'items'>>;
  item: number;
  expected: Partial<RawItem>;
  absent?: (keyof RawItem)[];
}

// One row per real-world quirk: which document shows it, and what the item must read as.
const rows: Row[] = [
  {
    quirk: 'RSS 0.91 with the Netscape DOCTYPE: parsed without fetching the DTD, HTML entities decoded, no guid',
    fixture: 'rss091-netscape-doctype.xml', feed: { format: 'rss', title: 'Old Town Gazette', language: 'en-us' }, item: 0,
    expected: { title: 'Council approves new library\u00a0budget', link: 'http://gazette.example.net/news/library.html',
      summary: 'The council voted 7–2 in favour. <a href="/news/vote.html">Full vote</a>', language: 'en-us' },
    absent: ['guid', 'published'],
  },
  {
    quirk: 'RSS 0.92 declaring character entities in an internal subset: they are honoured, nothing else is',
    fixture: 'rss092-char-entity-subset.xml', feed: { title: 'Radio Archive\u00a0Weekly' }, item: 0,
    expected: { title: 'Episode 12: The\u00a0night shift', categories: ['Talk'],
      enclosures: [{ url: 'http://radio.example.org/audio/ep12.mp3', type: 'audio/mpeg', length: 12216320 }] },
  },
  {
    quirk: 'RSS 2.0 podcast: guid isPermaLink="false", "email (Name)" author, content:encoded apart from description',
    fixture: 'rss2-podcast-enclosures.xml', feed: { title: 'Signal & Noise', language: 'en-GB' }, item: 0,
    expected: { guid: 'sn-episode-42', guidIsPermaLink: false, author: { email: 'hosts@podcast.example.fm', name: 'Mara Quinn' },
      summary: 'A short summary of episode 42.', content: '<p>Show notes with <a href="/links/42">links</a>.</p>',
      published: 'Tue, 04 Mar 2025 05:00:00 -0500', categories: ['Technology', 'Radio'] },
  },
  {
    quirk: 'RSS 2.0 podcast: the same file in <enclosure> and <media:content> is one enclosure; a thumbnail gets its image type',
    fixture: 'rss2-podcast-enclosures.xml', item: 0,
    expected: { enclosures: [
      { url: 'https://cdn.podcast.example.fm/audio/42.mp3', type: 'audio/mpeg', length: 46284672 },
      { url: 'https://cdn.podcast.example.fm/art/42.jpg', type: 'image/jpeg' },
    ] },
  },
  {
    quirk: 'RSS 2.0: media:group alternatives, a permalink guid without <link>, "Name <email>" author',
    fixture: 'rss2-podcast-enclosures.xml', item: 1,
    expected: { guid: 'https://podcast.example.fm/episodes/41', guidIsPermaLink: true, author: { name: 'Mara Quinn', email: 'mara@podcast.example.fm' },
      enclosures: [
        { url: 'https://cdn.podcast.example.fm/audio/41.m4a', type: 'audio/x-m4a', length: 20480000 },
        { url: 'https://cdn.podcast.example.fm/video/41.mp4', type: 'video/mp4', length: 104857600 },
        { url: 'https://cdn.podcast.example.fm/art/41.png', type: 'image/png' },
      ] },
    absent: ['link'],
  },
  {
    quirk: 'RSS 1.0 (RDF): rdf:about as id, dc:date, dc:creator, dc:subject as categories, channel dc:language',
    fixture: 'rss1-rdf-dublin-core.rdf', feed: { format: 'rdf', title: 'Science Desk', language: 'ja' }, item: 0,
    expected: { guid: 'https://science.example.jp/2025/03/09/neutrino.html', title: 'ニュートリノ観測で新発見', published: '2025-03-09T09:30:00+09:00',
      author: { name: '山田 花子' }, categories: ['物理', '観測'], content: '<p>観測結果の<strong>詳細</strong>。</p>', language: 'ja' },
  },
  {
    quirk: 'RSS 1.0 (RDF): an item\'s own dc:language wins over the channel\'s',
    fixture: 'rss1-rdf-dublin-core.rdf', item: 1, expected: { language: 'en', published: '2025-03-08T18:00:00Z' },
  },
  {
    quirk: 'Atom 0.3: issued/modified dates, escaped HTML content, author url, feed author inherited',
    fixture: 'atom03-blogger.xml', feed: { format: 'atom', link: 'http://workshop.example.com/', language: 'en' }, item: 0,
    expected: { guid: 'tag:workshop.example.com,2025:post-88', published: '2025-03-07T09:15:00-08:00', updated: '2025-03-07T16:20:00Z',
      content: '<p>Day one: <em>rust</em> everywhere.</p>', author: { name: 'Sam Turner', uri: 'http://workshop.example.com/about' } },
  },
  {
    quirk: 'Atom 0.3: mode="xml" inline XHTML keeps text and elements in order; text/plain summary is escaped',
    fixture: 'atom03-blogger.xml', item: 1,
    expected: { content: 'Sharpen <b>first</b>, then cut.', summary: 'Plain summary with 3 &lt; 4.' },
  },
  {
    quirk: 'Atom 1.0: xhtml title, the text/html alternate link over an earlier JSON one, rel="enclosure", labels over terms',
    fixture: 'atom1-xml-base-xhtml.atom.xml', feed: { link: 'https://blog.example.org/', language: 'en' }, item: 0,
    expected: { title: 'Tides <em>and</em> time', titleIsHtml: true, link: 'tides.html', categories: ['Ocean', 'science'],
      enclosures: [{ url: 'https://blog.example.org/2025/03/img/tides.jpg', type: 'image/jpeg', length: 48213 }],
      published: '2025-03-09T08:00:00+01:00', updated: '2025-03-09T10:30:00+01:00' },
  },
  {
    quirk: 'Atom 1.0: nested xml:base on feed, entry and content; XHTML wrapper div dropped; inner xml:base honoured',
    fixture: 'atom1-xml-base-xhtml.atom.xml', item: 0,
    expected: { base: 'https://blog.example.org/2025/03/', contentBase: 'https://media.example.org/notes/',
      content: '<p>High tide at <b>6:42</b> and low at 12:55, <a href="https://media.example.org/notes/tables.html">see tables</a>.</p>\n'
        + '        <p><img src="https://media.example.org/notes/chart.png" alt="chart"><br>Source: harbour office</p>\n'
        + '        <div><a href="https://other.example.net/x.html">elsewhere</a></div>',
      summary: 'Why 3 &lt; 4 &amp; the moon matters', author: { name: 'Lee Chen', email: 'lee@blog.example.org', uri: '/about' } },
  },
  {
    quirk: 'Atom 1.0: html title with escaped entities, link without rel, entry xml:lang over the feed\'s',
    fixture: 'atom1-xml-base-xhtml.atom.xml', item: 1,
    expected: { title: 'L&#8217;&eacute;t&eacute; <i>arrive</i>', titleIsHtml: true, link: 'ete.html', language: 'fr',
      base: 'https://blog.example.org/', author: { name: 'Camille' } },
    absent: ['published', 'contentBase'],
  },
  {
    quirk: 'Chinese portal: CDATA title with full-width punctuation, CDATA link whose "&" stays a bare "&", Chinese date kept raw',
    fixture: 'chinese-portal.rss.xml', feed: { title: '财经频道-要闻', language: 'zh_cn' }, item: 0,
    expected: { title: '国产大模型：既需“仰望星空”也要脚踏实地',
      link: 'https://finance.example.com.cn/roll/2025-03-09/doc-inemx001.shtml?from=rss&spm=a1.b2',
      published: '2025年3月9日 18:42', author: { name: '新华社' }, categories: ['财经', '科技'] },
  },
  {
    quirk: 'entities: double-escaped title kept for normalize, HTML named references decoded, an unknown one kept as text',
    fixture: 'rss2-entities-cdata.xml', item: 0,
    expected: { title: 'AT&amp;T &amp; friends: “quoted” …', link: 'https://quirks.example.com/p?id=7&cat=2',
      summary: 'CDATA with a literal ]]> inside & an ampersand' },
  },
  {
    quirk: 'raw HTML pasted unescaped into <description> keeps its order; escaped tags in a title stay text for normalize',
    fixture: 'rss2-entities-cdata.xml', item: 1,
    expected: { title: '<b>Breaking</b>: unknown &foo; entity kept', summary: 'Intro <b>bold</b> outro, pasted as raw markup', author: { name: 'Desk' } },
  },
  {
    quirk: 'JSON Feed 1.0: numeric id, relative url, content_text escaped, the feed author inherited',
    fixture: 'json-feed-1.0.json', feed: { format: 'json', title: 'Microblog of J. Doe' }, item: 0,
    expected: { guid: '2017', link: '/2025/03/09/hello', content: 'Hello &lt;world&gt;<br>second line',
      author: { name: 'J. Doe', uri: 'https://jdoe.example.com/about' } },
  },
  {
    quirk: 'JSON Feed 1.1: authors with mailto, item language over the feed\'s, attachments, plain-text summary',
    fixture: 'json-feed-1.1-podcast.json', feed: { language: 'de-DE' }, item: 0,
    expected: { language: 'de-AT', author: { name: 'Anna Berger', email: 'anna@tiny.example.org' }, summary: 'Kurz &amp; knapp',
      categories: ['Bauwesen', 'Audio'], updated: '2025-03-02T10:00:00+01:00',
      enclosures: [{ url: 'https://tiny.example.org/audio/3.mp3', type: 'audio/mpeg', length: 31457280 }] },
  },
];

describe('parseFeed maps every format\'s fields', () => {
  it.each(rows)('$quirk', async ({ fixture: name, feed, item, expected, absent }) => {
    const parsed = await parseFeed(fixture(name), { documentUrl: DOC });
    if (feed) expect(parsed).toMatchObject(feed);
    const raw = parsed.items[item]!;
    expect(raw).toMatchObject(expected);
    for (const key of absent ?? []) expect(raw, key).not.toHaveProperty(key);
  });

  it('reads the items of every fixture in document order', async () => {
    const counts: Record<string, number> = {
      'rss091-netscape-doctype.xml': 2, 'rss092-char-entity-subset.xml': 1, 'rss2-podcast-enclosures.xml': 2,
      'rss1-rdf-dublin-core.rdf': 2, 'atom03-blogger.xml': 2, 'atom1-xml-base-xhtml.atom.xml': 2, 'chinese-portal.rss.xml': 3,
      'rss2-entities-cdata.xml': 2, 'json-feed-1.0.json': 1, 'json-feed-1.1-podcast.json': 1,
    };
    for (const [name, count] of Object.entries(counts)) {
      expect((await parseFeed(fixture(name))).items, name).toHaveLength(count);
    }
  });

  it('keeps the feed when an Atom date is unreadable: the date is left for normalize to judge', async () => {
    const feed = await parseFeed('<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>'
      + '<entry><id>a</id><title>Bad date</title><published>last Tuesday</published></entry>'
      + '<entry><id>b</id><title>Good date</title><published>2025-03-09T10:00:00Z</published></entry></feed>');
    expect(feed.items.map((i) => [i.title, i.published])).toEqual([['Bad date', 'last Tuesday'], ['Good date', '2025-03-09T10:00:00Z']]);
  });

  it('reads an <rss> without a version attribute as RSS 2.0', async () => {
    const feed = await parseFeed('<rss><channel><title>T</title><item><title>One</title><guid>g1</guid></item></channel></rss>');
    expect(feed.items).toEqual([expect.objectContaining({ title: 'One', guid: 'g1' })]);
  });

  it('takes an Atom <link>URL</link> written RSS-style as the entry link instead of failing the feed', async () => {
    const feed = await parseFeed('<feed xmlns="http://www.w3.org/2005/Atom"><link>https://a.example/</link><title>T</title>'
      + '<entry><id>x</id><title>E</title><link>https://a.example/e</link></entry></feed>');
    expect(feed.items[0]).toMatchObject({ link: 'https://a.example/e' });
  });

  it.each([
    ['an HTML page', '<!DOCTYPE html><html><body>Moved</body></html>', /HTML page/],
    ['plain text', 'Service Unavailable', /starts with "Service Unavailable"/],
    ['JSON that is not a feed', '{"error": "nope"}', /JSON Feed/],
    ['broken XML', '<rss version="2.0"><channel><item></channel></rss>', /unparsable XML/],
  ])('rejects %s with a FeedParseError naming what it saw', async (_what, body, message) => {
    const err = await parseFeed(body).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FeedParseError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('JSON Feed strings with C1 controls', () => {
  it('reads an escaped \u0092 as the windows-1252 character it stood for, as raw bytes are read', async () => {
    // the escapes as a JSON Feed carries them: six characters each in the document
    const text = String.raw`{"version": "https://jsonfeed.org/version/1.1", "title": "Don\u0092t panic",
      "items": [{"id": "a", "title": "It\u0092s \u0093quoted\u0094 \u0080 5", "content_text": "x\u0081y"}]}`;
    expect(text).toContain('\\u0092');
    const parsed = await parseFeed(text);
    expect(parsed.title).toBe('Don’t panic');
    expect(parsed.items[0]!.title).toBe('It’s “quoted” € 5');
    // U+0081 has no windows-1252 character: kept as it is
    expect(JSON.stringify(parsed.items[0])).toContain('x\u0081y');
  });
});
