// Which published document a WebSub topic names when `migrate-store` copies a subscription into PostgreSQL: the
// database's hub queues a delivery by that name, so a wrong one is a subscriber who never hears again.
import { describe, expect, it } from 'vitest';
import { topicDocName } from '../../../../src/store/pg/copy-subscriptions.ts';

const cases: { name: string; topic: string; baseUrl?: string; expected: string | undefined }[] = [
  { name: 'a tag feed, with the config\'s baseUrl', topic: 'https://news.example.org/feeds/tags/news.atom', baseUrl: 'https://news.example.org', expected: 'tags/news.atom' },
  { name: 'a tag feed, without a config', topic: 'https://news.example.org/feeds/tags/news.atom', expected: 'tags/news.atom' },
  { name: 'a percent-encoded path segment (a Chinese tag)', topic: 'https://news.example.org/feeds/tags/%E7%A7%91%E6%8A%80.json', expected: 'tags/科技.json' },
  { name: 'a baseUrl ending in /feeds, from the config', topic: 'https://example.org/feeds/feeds/latest.rss', baseUrl: 'https://example.org/feeds', expected: 'latest.rss' },
  { name: 'a path whose first segment is "feeds", without a config', topic: 'https://example.org/feeds/feeds/latest.rss', expected: 'feeds/latest.rss' },
  { name: 'a baseUrl with a path, from a config whose baseUrl changed since', topic: 'https://example.org/tributary/feeds/latest.atom', baseUrl: 'https://other.example.org', expected: 'latest.atom' },
  { name: 'the HTML page is no topic', topic: 'https://example.org/feeds/latest.html', expected: undefined },
  { name: 'a URL outside /feeds/', topic: 'https://example.org/opml.xml', expected: undefined },
  { name: 'not a URL', topic: 'feeds/latest.atom', expected: undefined },
];

describe('topicDocName', () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(topicDocName(c.topic, c.baseUrl)).toBe(c.expected);
    });
  }
});
