import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { feedPage } from '../../../src/render/feed-pages.ts';
import { EMPTY_FEED_DATE } from '../../../src/render/feed-document.ts';
import { renderFeed, type FeedFormat } from '../../../src/render/render-feed.ts';
import { lintAtom, lintJsonFeed, lintRss } from '../../helpers/feed-lint.ts';
import { sampleContext, sampleItems, sampleSpec } from '../../helpers/sample-items.ts';

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (n) => ['entry', 'item', 'link', 'atom:link', 'enclosure'].includes(n) });

function render(items: Item[], ctx = sampleContext(), pageSize = 50, spec = sampleSpec(items)) {
  const doc = feedPage(spec, items, { page: 1 }, pageSize, EMPTY_FEED_DATE);
  const out = renderFeed(doc, ctx);
  const text = (f: FeedFormat) => out[f].body.toString('utf8');
  return { atom: text('atom'), rss: text('rss'), json: text('json'), out };
}

function expectValid(r: { atom: string; rss: string; json: string }, hubs: string[] = []): void {
  expect(lintAtom(r.atom, { hubs })).toEqual([]);
  expect(lintRss(r.rss, { hubs })).toEqual([]);
  expect(lintJsonFeed(r.json, { hubs })).toEqual([]);
}

describe('render: what validators and readers check', () => {
  it('announces enclosures with their real media type and length in all three formats', () => {
    const items = sampleItems(1, () => ({ enclosures: [
      { url: 'https://cdn.example.com/episode.mp3', type: 'audio/mpeg', length: 123456 },
      { url: 'https://cdn.example.com/cover.jpg' },
    ] }));
    const r = render(items);
    expectValid(r);
    const links = xml.parse(r.atom).feed.entry[0].link.filter((l: Record<string, string>) => l['@rel'] === 'enclosure');
    expect(links).toEqual([
      { '@rel': 'enclosure', '@href': 'https://cdn.example.com/episode.mp3', '@type': 'audio/mpeg', '@length': '123456' },
      { '@rel': 'enclosure', '@href': 'https://cdn.example.com/cover.jpg', '@type': 'application/octet-stream' },
    ]);
    // RSS allows one enclosure per item: the first.
    const rssEnclosures = xml.parse(r.rss).rss.channel.item[0].enclosure;
    expect(rssEnclosures).toEqual([{ '@url': 'https://cdn.example.com/episode.mp3', '@length': '123456', '@type': 'audio/mpeg' }]);
    expect(JSON.parse(r.json).items[0].attachments).toEqual([
      { url: 'https://cdn.example.com/episode.mp3', mime_type: 'audio/mpeg', size_in_bytes: 123456 },
      { url: 'https://cdn.example.com/cover.jpg', mime_type: 'application/octet-stream' },
    ]);
  });

  it.each([
    { languages: ['zh-CN', 'zh-cn', 'ZH-CN'], expected: 'zh-CN' },
    { languages: ['en', 'en', 'en'], expected: 'en' },
    { languages: ['en', 'de', 'en'], expected: undefined },
    { languages: ['en', undefined, 'en'], expected: undefined },
    { languages: ['not a language', 'not a language', 'not a language'], expected: undefined },
  ])('declares the language $expected when the items say $languages', ({ languages, expected }) => {
    const r = render(sampleItems(3, (n) => (languages[n - 1] ? { language: languages[n - 1]! } : {})));
    expectValid(r);
    expect(xml.parse(r.atom).feed['@xml:lang']).toBe(expected);
    expect(xml.parse(r.rss).rss.channel.language).toBe(expected);
    expect(JSON.parse(r.json).language).toBe(expected);
  });

  it('marks a guid as a permalink only when it is the item\'s own URL', () => {
    const items = [
      ...sampleItems(1, () => ({ id: 'https://world.example.com/story/1', link: 'https://world.example.com/story/1' })),
      ...sampleItems(1, () => ({ id: 'https://world.example.com/guid/2', link: 'https://world.example.com/story/2' })),
    ];
    const r = render(items);
    expectValid(r);
    const guids = xml.parse(r.rss).rss.channel.item.map((i: { guid: Record<string, string> }) => i.guid['@isPermaLink']);
    expect(guids).toEqual(['true', 'false']);
  });

  it('puts the text of a content-only item in <description>, never content:encoded without it', () => {
    const r = render(sampleItems(2, (n) => (n === 2 ? { summary: undefined, content: '<p>Full text</p>' } : { content: '<p>Long</p>' })));
    expectValid(r);
    const [first, second] = xml.parse(r.rss).rss.channel.item;
    expect(first.description).toBe('<p>Full text</p>');
    expect(first['content:encoded']).toBeUndefined();
    expect(second.description).toBe('<p>Summary of story 1</p>');
    expect(second['content:encoded']).toBe('<p>Long</p>');
    // JSON Feed's summary is plain text.
    expect(JSON.parse(r.json).items[1]).toMatchObject({ summary: 'Summary of story 1', content_html: '<p>Long</p>' });
  });

  it('gives an empty feed a fixed, plausible date rather than 1970 or the render time', () => {
    const first = render([]);
    expectValid(first);
    expect(xml.parse(first.atom).feed.updated).toBe(EMPTY_FEED_DATE);
    expect(render([]).out.atom.etag).toBe(first.out.atom.etag);
  });

  it('shows the source\'s logo on its own feed', () => {
    const ctx = sampleContext();
    ctx.sources.get('world')!.image = 'https://world.example.com/logo.png';
    const r = render(sampleItems(1), ctx);
    expectValid(r);
    expect(xml.parse(r.atom).feed.logo).toBe('https://world.example.com/logo.png');
    expect(xml.parse(r.rss).rss.channel.image.url).toBe('https://world.example.com/logo.png');
    expect(JSON.parse(r.json).icon).toBe('https://world.example.com/logo.png');
    const latest = render(sampleItems(1), ctx, 50, sampleSpec(sampleItems(1), { path: 'latest', kind: 'latest', name: 'latest' }));
    expect(xml.parse(latest.atom).feed.logo).toBeUndefined();
  });

  it('links the XSL stylesheet from Atom and RSS, and advertises every hub in all formats', () => {
    const hubs = ['https://hub.example.net/', 'http://feeds.example.org/websub'];
    const r = render(sampleItems(2), sampleContext({ hubs }));
    expectValid(r, hubs);
    for (const doc of [r.atom, r.rss]) expect(doc).toContain('<?xml-stylesheet href="/feeds/style.xsl" type="text/xsl"?>');
    expect(JSON.parse(r.json).hubs).toEqual(hubs.map((url) => ({ type: 'WebSub', url })));
  });

  it('links the pages of a long feed with RFC 5005 first / next / last', () => {
    const r = render(sampleItems(5), sampleContext(), 2);
    expectValid(r);
    const rels = (links: Record<string, string>[]) => Object.fromEntries(links.map((l) => [l['@rel'] ?? 'alternate', l['@href']]));
    expect(rels(xml.parse(r.atom).feed.link)).toMatchObject({
      self: 'http://feeds.example.org/feeds/sources/world.atom',
      first: 'http://feeds.example.org/feeds/sources/world.atom',
      next: 'http://feeds.example.org/feeds/sources/world.atom?page=2',
      last: 'http://feeds.example.org/feeds/sources/world.atom?page=3',
    });
    expect(rels(xml.parse(r.rss).rss.channel['atom:link'])).toMatchObject({ next: 'http://feeds.example.org/feeds/sources/world.rss?page=2' });
    expect(JSON.parse(r.json).next_url).toBe('http://feeds.example.org/feeds/sources/world.json?page=2');
  });

  it('escapes "&" in every URL it writes into an attribute', () => {
    const items = sampleItems(1, () => ({ enclosures: [{ url: 'https://cdn.example.com/a.mp3?x=1&y=2', type: 'audio/mpeg', length: 1 }] }));
    const r = render(items, sampleContext({ hubs: ['https://hub.example.net/?a=1&b=2'] }));
    expectValid(r, ['https://hub.example.net/?a=1&b=2']);
    expect(r.atom).toContain('href="https://cdn.example.com/a.mp3?x=1&amp;y=2"');
    expect(r.rss).toContain('url="https://cdn.example.com/a.mp3?x=1&amp;y=2"');
  });
});
