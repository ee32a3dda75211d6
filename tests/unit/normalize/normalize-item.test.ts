import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { normalizeItem, type NormalizeContext } from '../../../src/normalize/normalize-item.ts';
import { trackingParams } from '../../../src/normalize/urls.ts';
import type { RawItem } from '../../../src/parse/types.ts';

const NOW = new Date('2025-03-09T12:00:00Z');
const CTX: NormalizeContext = {
  sourceId: 'wire', feedUrl: 'https://feeds.example.com/wire/rss.xml', feedLink: 'https://www.example.com/',
  timezone: 'UTC', now: NOW, idAuthority: 'tributary.test',
};

interface Row {
  quirk: string;
  raw: Partial<RawItem>;
  expected: { [K in keyof Item]?: unknown };
  absent?: (keyof Item)[];
  ctx?: Partial<NormalizeContext>;
}

// One row per quirk of items met in the wild: what the parser read, what is stored.
const rows: Row[] = [
  { quirk: 'relative link resolved against the feed URL', raw: { link: '../news/1.html' }, expected: { link: 'https://feeds.example.com/news/1.html' } },
  { quirk: 'link resolved against xml:base of the item', raw: { link: 'p/1', base: 'https://blog.example.org/2025/' }, expected: { link: 'https://blog.example.org/2025/p/1' } },
  { quirk: 'link resolved against the link element\'s own xml:base', raw: { link: 'p/1', base: 'https://a.example/x/', linkBase: 'https://b.example/y/' }, expected: { link: 'https://b.example/y/p/1' } },
  { quirk: 'a permalink guid stands in for a missing link', raw: { guid: 'https://www.example.com/p/9', guidIsPermaLink: true }, expected: { link: 'https://www.example.com/p/9', id: 'https://www.example.com/p/9' } },
  { quirk: 'a guid that is no permalink is never a link', raw: { guid: 'abc-9', guidIsPermaLink: false }, expected: { link: 'https://www.example.com/' } },
  { quirk: 'no link at all: the feed\'s home page', raw: { title: 'Notice' }, expected: { link: 'https://www.example.com/' } },
  { quirk: 'item HTML resolved against the item link without xml:base', raw: { link: 'https://site.example/a/b.html', content: '<img src="c.jpg">' }, expected: { content: '<img src="https://site.example/a/c.jpg" />' } },
  { quirk: 'item HTML resolved against xml:base of the content', raw: { link: 'https://site.example/a/b.html', content: '<a href="x">x</a>', contentBase: 'https://media.example/m/' }, expected: { content: '<a href="https://media.example/m/x">x</a>' } },
  { quirk: 'relative enclosure resolved against the document, not the article', raw: { link: 'https://site.example/a/b.html', enclosures: [{ url: 'audio/1.mp3', type: 'audio/mpeg' }] }, expected: { enclosures: [{ url: 'https://feeds.example.com/wire/audio/1.mp3', type: 'audio/mpeg' }] } },
  { quirk: 'enclosure with a non-web URL dropped', raw: { enclosures: [{ url: 'javascript:alert(1)' }] }, expected: { enclosures: [] } },
  { quirk: 'title from the summary when there is none', raw: { summary: '<p>First words of the story.</p>' }, expected: { title: 'First words of the story.' }, absent: ['fingerprint'] },
  { quirk: 'nothing to call it: (untitled)', raw: {}, expected: { title: '(untitled)' } },
  { quirk: 'a 2,000 character title clipped to 500', raw: { title: 'x'.repeat(2000) }, expected: { title: `${'x'.repeat(499)}…` } },
  { quirk: 'summary identical to content kept once', raw: { summary: '<p>Same</p>', content: '<p>Same</p>' }, expected: { content: '<p>Same</p>' }, absent: ['summary'] },
  { quirk: 'language tag in canonical case', raw: { language: 'zh_cn' }, expected: { language: 'zh-CN' } },
  { quirk: 'a language that is no tag dropped', raw: { language: 'English (US)' }, expected: {}, absent: ['language'] },
  { quirk: 'author e-mail with mailto: cleaned', raw: { author: { name: 'Desk', email: 'mailto:desk@example.com' } }, expected: { author: { name: 'Desk', email: 'desk@example.com' } } },
  { quirk: 'author e-mail that is none dropped', raw: { author: { name: 'Desk', email: 'not an address' } }, expected: { author: { name: 'Desk' } } },
  { quirk: 'author uri made absolute', raw: { author: { name: 'A', uri: '/about' } }, expected: { author: { name: 'A', uri: 'https://feeds.example.com/about' } } },
  { quirk: 'author name with entities decoded', raw: { author: { name: 'Ren&eacute; &amp; Co' } }, expected: { author: { name: 'René & Co' } } },
  { quirk: 'categories decoded, trimmed and deduplicated', raw: { categories: ['Politik', ' Politik ', 'Caf&eacute;'] }, expected: { categories: ['Politik', 'Café'] } },
  { quirk: 'key from the guid', raw: { guid: ' g-1 ' }, expected: { key: 'g:g-1' } },
  { quirk: 'key from the canonical link without a guid', raw: { link: 'HTTP://WWW.Example.com/a?utm_source=x#c' }, expected: { key: 'l:https://www.example.com/a', canonicalLink: 'https://www.example.com/a' } },
  { quirk: 'canonical link drops the configured parameters only', raw: { link: 'https://a.example/x?ref=1&utm_source=y' }, ctx: { trackingParams: trackingParams(['ref']) }, expected: { canonicalLink: 'https://a.example/x?utm_source=y' } },
  { quirk: 'a non-IRI guid gets a tag: id', raw: { guid: 'sn-episode-42' }, expected: { id: expect.stringMatching(/^tag:tributary\.test,2025-03-09:wire\/[0-9a-f]{24}$/) } },
  { quirk: 'fingerprint of the title', raw: { title: '国产大模型：既需“仰望星空”也要脚踏实地' }, expected: { fingerprint: '国产大模型既需仰望星空也要脚踏实地' } },
  { quirk: 'an unreadable date: first seen, marked undated', raw: { published: 'soon' }, expected: { published: NOW.toISOString(), updated: NOW.toISOString(), undated: true } },
  { quirk: 'a date two days ahead: first seen, marked undated', raw: { published: '2025-03-11T13:00:00Z' }, expected: { published: NOW.toISOString(), undated: true } },
  { quirk: 'updated only: it is the published date too', raw: { updated: '2025-03-09T08:00:00Z' }, expected: { published: '2025-03-09T08:00:00.000Z', updated: '2025-03-09T08:00:00.000Z' } },
  { quirk: 'updated before published: raised to published', raw: { published: '2025-03-09T08:00:00Z', updated: '2025-03-01T08:00:00Z' }, expected: { updated: '2025-03-09T08:00:00.000Z' } },
  { quirk: 'zone-less date in the source\'s zone', raw: { published: '2025-03-09 18:42:02' }, ctx: { timezone: 'Asia/Shanghai' }, expected: { published: '2025-03-09T10:42:02.000Z' } },
];

describe('normalizeItem makes a complete, safe Item of what the parser read', () => {
  it.each(rows)('$quirk', ({ raw, expected, absent, ctx }) => {
    const item = normalizeItem({ categories: [], enclosures: [], ...raw }, { ...CTX, ...ctx });
    expect(item).toMatchObject(expected);
    for (const key of absent ?? []) expect(item, key).not.toHaveProperty(key);
  });

  it('gives the same item and hash for the same input at another fetch time, undated items included', () => {
    const raw: RawItem = { guid: 'g', title: 'No date here at all', categories: [], enclosures: [] };
    const first = normalizeItem(raw, CTX);
    const later = normalizeItem(raw, { ...CTX, now: new Date('2025-03-10T12:00:00Z') });
    expect(later.hash).toBe(first.hash);
  });
});
