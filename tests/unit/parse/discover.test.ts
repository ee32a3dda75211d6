import { describe, expect, it } from 'vitest';
import { discoverFeeds } from '../../../src/parse/discover.ts';

const PAGE = 'https://news.example.org/world/index.html';

describe('discoverFeeds', () => {
  it.each([
    ['an RSS link, relative href', '<link rel="alternate" type="application/rss+xml" title="World" href="/rss/world.xml">',
      [{ url: 'https://news.example.org/rss/world.xml', type: 'application/rss+xml', title: 'World' }]],
    ['Atom and JSON Feed, in document order', '<link rel=alternate type="application/atom+xml" href="feed.atom"><link rel="alternate" type="application/feed+json" href="feed.json">',
      [{ url: 'https://news.example.org/world/feed.atom', type: 'application/atom+xml' }, { url: 'https://news.example.org/world/feed.json', type: 'application/feed+json' }]],
    ['upper-case markup, several rel values, a charset parameter, entities in href', '<LINK REL="Alternate Home" TYPE="application/RSS+XML; charset=utf-8" HREF="/rss?a=1&amp;b=2">',
      [{ url: 'https://news.example.org/rss?a=1&b=2', type: 'application/rss+xml' }]],
    ['a <base href>', '<base href="https://cdn.example.net/feeds/"><link rel="alternate" type="application/rss+xml" href="all.xml">',
      [{ url: 'https://cdn.example.net/feeds/all.xml', type: 'application/rss+xml' }]],
    ['no rel=alternate, a stylesheet, a javascript: href, a duplicate', '<link rel="stylesheet" type="text/css" href="a.css"><link rel="alternate" type="text/html" href="/m"><link rel="alternate" type="application/rss+xml" href="javascript:alert(1)"><link rel="alternate" type="application/rss+xml" href="/a.xml"><link rel="alternate" type="application/rss+xml" href="https://news.example.org/a.xml">',
      [{ url: 'https://news.example.org/a.xml', type: 'application/rss+xml' }]],
    ['a commented-out link and one inside a script string are not links', '<!-- <link rel="alternate" type="application/rss+xml" href="/old.xml"> --><script>var s = \'<link rel="alternate" type="application/rss+xml" href="/js.xml">\';</script>',
      []],
  ])('%s', (_name, head, expected) => {
    expect(discoverFeeds(`<!doctype html><html><head><title>x</title>${head}</head><body><p>news</p></body></html>`, PAGE)).toEqual(expected);
  });
});
