import { describe, expect, it } from 'vitest';
import { normalizeItem, type NormalizeContext } from '../../../src/normalize/normalize-item.ts';
import type { RawItem } from '../../../src/parse/types.ts';

const NOW = new Date('2025-03-10T00:00:00.000Z');

function context(overrides: Partial<NormalizeContext> = {}): NormalizeContext {
  return {
    sourceId: 'chinanews-scroll',
    feedUrl: 'https://www.chinanews.example.cn/rss/scroll-news.xml',
    feedLink: 'https://www.chinanews.example.cn/',
    timezone: 'Asia/Shanghai',
    now: NOW,
    idAuthority: 'tributary.example',
    ...overrides,
  };
}

function raw(fields: Partial<RawItem>): RawItem {
  return { categories: [], enclosures: [], ...fields };
}

const TAG_ID = /^tag:tributary\.example,2025-03-10:chinanews-scroll\/[0-9a-f]{24}$/;

const keyRows: { why: string; raw: RawItem; key: RegExp | string; id: RegExp | string }[] = [
  {
    why: 'keys on the guid and uses an http guid as the id',
    raw: raw({ guid: 'https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml', title: '两会', link: 'https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml?utm_source=rss' }),
    key: 'g:https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml',
    id: 'https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml',
  },
  {
    why: 'keys on a trimmed guid',
    raw: raw({ guid: '  sspai-95001 \n', guidIsPermaLink: false, title: '评测', link: 'https://sspai.example/post/95001' }),
    key: 'g:sspai-95001',
    id: TAG_ID,
  },
  {
    why: 'uses a urn: guid as the id',
    raw: raw({ guid: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66', title: 'urn' }),
    key: 'g:urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
    id: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
  },
  {
    why: 'uses a tag: guid as the id',
    raw: raw({ guid: 'tag:blog.example.cn,2025:post-1', title: 'tag' }),
    key: 'g:tag:blog.example.cn,2025:post-1',
    id: 'tag:blog.example.cn,2025:post-1',
  },
  {
    why: 'makes a tag: id for a guid that is not an IRI',
    raw: raw({ guid: '10380001', guidIsPermaLink: false, title: '数字 guid', link: 'https://www.chinanews.example.cn/a/1.shtml' }),
    key: 'g:10380001',
    id: TAG_ID,
  },
  {
    why: 'makes a tag: id for an http guid with a space in it',
    raw: raw({ guid: 'https://e.example/a b', guidIsPermaLink: false, title: '空格' }),
    key: 'g:https://e.example/a b',
    id: TAG_ID,
  },
  // issue 17: an id is opaque (RFC 4287 §4.2.6.1): stored exactly as given, trimmed; only links are normalized
  {
    why: 'keeps the case of an http id\'s host as given',
    raw: raw({ guid: ' http://www.EXAMPLE.org/thing ', title: 'case', link: 'http://www.EXAMPLE.org/thing' }),
    key: 'g:http://www.EXAMPLE.org/thing',
    id: 'http://www.EXAMPLE.org/thing',
  },
  {
    why: 'keeps an upper-case scheme and a default port in an id',
    raw: raw({ guid: 'HTTP://www.example.org:80/a/../thing', title: 'scheme' }),
    key: 'g:HTTP://www.example.org:80/a/../thing',
    id: 'HTTP://www.example.org:80/a/../thing',
  },
  {
    why: 'keeps a non-ASCII IRI id as written',
    raw: raw({ guid: 'https://例子.example/文章/1', title: 'iri' }),
    key: 'g:https://例子.example/文章/1',
    id: 'https://例子.example/文章/1',
  },
  {
    why: 'keeps the case of a urn: id',
    raw: raw({ guid: 'URN:UUID:6E8BC430-9C3A-11D9-9669-0800200C9A66', title: 'urn case' }),
    key: 'g:URN:UUID:6E8BC430-9C3A-11D9-9669-0800200C9A66',
    id: 'URN:UUID:6E8BC430-9C3A-11D9-9669-0800200C9A66',
  },
  {
    why: 'escapes only what an IRI may not hold (a guard: escaped before too)',
    raw: raw({ guid: 'https://e.example/a{1}|b', title: 'braces' }),
    key: 'g:https://e.example/a{1}|b',
    id: 'https://e.example/a%7B1%7D|b',
  },
  {
    why: 'keys on the canonical link when there is no guid',
    raw: raw({ title: '国产大模型', link: 'http://WWW.chinanews.example.cn:80/cj/1.shtml?spm=1.2&id=7#top' }),
    key: 'l:https://www.chinanews.example.cn/cj/1.shtml?id=7',
    id: TAG_ID,
  },
  {
    why: 'keys on a hash of title and date when there is neither guid nor link',
    raw: raw({ title: '无链接的快讯', published: '2025-03-09 18:42:02' }),
    key: /^h:[0-9a-f]{20}$/,
    id: TAG_ID,
  },
];

describe('normalizeItem: key and id', () => {
  for (const { why, raw: input, key, id } of keyRows) {
    it(why, () => {
      const item = normalizeItem(input, context());
      expect(item.key).toEqual(typeof key === 'string' ? key : expect.stringMatching(key));
      expect(item.id).toEqual(typeof id === 'string' ? id : expect.stringMatching(id));
    });
  }

  it('gives the same hash key for the same title and date, and another for another date', () => {
    const a = normalizeItem(raw({ title: '快讯', published: '2025-03-09 18:42:02' }), context());
    const b = normalizeItem(raw({ title: '快讯', published: '2025-03-09 18:42:02' }), context({ now: new Date('2025-03-11T00:00:00Z') }));
    const c = normalizeItem(raw({ title: '快讯', published: '2025-03-09 18:43:02' }), context());
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
  });

  it('keeps the link the source gave and stores the canonical form beside it', () => {
    const item = normalizeItem(raw({ title: 't', link: '/cj/1.shtml?utm_source=rss#top' }), context());
    expect(item.link).toBe('https://www.chinanews.example.cn/cj/1.shtml?utm_source=rss#top');
    expect(item.canonicalLink).toBe('https://www.chinanews.example.cn/cj/1.shtml');
  });

  it('takes the link from a permalink guid when there is no <link>', () => {
    const item = normalizeItem(raw({ guid: 'https://bbc.example/zhongwen/simp/world-2', guidIsPermaLink: true, title: 't' }), context());
    expect(item.link).toBe('https://bbc.example/zhongwen/simp/world-2');
  });

  it('falls back to the feed home page for an item with no link at all', () => {
    const item = normalizeItem(raw({ title: '无链接' }), context());
    expect(item.link).toBe('https://www.chinanews.example.cn/');
    expect(item.canonicalLink).toBeUndefined();
  });

  // regression: RSS guids default to isPermaLink=true, and many Chinese feeds put a bare number in <guid> without
  // saying isPermaLink="false"; normalizeItem resolves "10380002" against the feed URL and serves the 404
  // https://www.chinanews.example.cn/rss/10380002 as the story link (and as its cross-source dedupe key).
  it('does not turn a non-URL permalink guid into a link relative to the feed URL', () => {
    const item = normalizeItem(raw({ guid: '10380002', guidIsPermaLink: true, title: '只有数字 guid' }), context());
    expect(item.link).toBe('https://www.chinanews.example.cn/');
    expect(item.canonicalLink).toBeUndefined();
  });
});

describe('normalizeItem: dates', () => {
  it('reads a zone-less date in the source time zone', () => {
    const item = normalizeItem(raw({ guid: 'g', title: 't', published: '2025-03-09 18:42:02' }), context());
    expect(item.published).toBe('2025-03-09T10:42:02.000Z');
    expect(item.updated).toBe('2025-03-09T10:42:02.000Z');
    expect(item.firstSeen).toBe(NOW.toISOString());
    expect(item.undated).toBeUndefined();
  });

  it('keeps a later updated date beside the published one', () => {
    const item = normalizeItem(raw({ guid: 'g', title: 't', published: '2025-03-09T10:00:00Z', updated: '2025-03-09T12:00:00Z' }), context());
    expect(item).toMatchObject({ published: '2025-03-09T10:00:00.000Z', updated: '2025-03-09T12:00:00.000Z' });
  });

  it('uses the updated date as published when that is the only date', () => {
    const item = normalizeItem(raw({ guid: 'g', title: 't', updated: '2025-03-09T12:00:00Z' }), context());
    expect(item).toMatchObject({ published: '2025-03-09T12:00:00.000Z', updated: '2025-03-09T12:00:00.000Z' });
    expect(item.undated).toBeUndefined();
  });

  it.each([
    ['no date', {}],
    ['an unreadable date', { published: '很久以前' }],
  ])('gives an item with %s the fetch time and marks it undated', (_label, dates) => {
    const item = normalizeItem(raw({ guid: 'g', title: 't', ...dates }), context());
    expect(item).toMatchObject({ published: NOW.toISOString(), updated: NOW.toISOString(), firstSeen: NOW.toISOString(), undated: true });
  });

  it('clamps a date more than a day in the future to now', () => {
    const item = normalizeItem(raw({ guid: 'g', title: 't', published: '2025-03-12T00:00:00Z' }), context());
    expect(item.published).toBe(NOW.toISOString());
    expect(item.undated).toBe(true);
  });

  it('keeps a date less than a day in the future (a source whose clock runs fast)', () => {
    const item = normalizeItem(raw({ guid: 'g', title: 't', published: '2025-03-10T20:00:00Z' }), context());
    expect(item.published).toBe('2025-03-10T20:00:00.000Z');
    expect(item.undated).toBeUndefined();
  });

  it('gives an undated item the same hash and key when normalized at two different times', () => {
    const input = raw({ title: '无日期的快讯', summary: '<p>内容</p>' });
    const first = normalizeItem(input, context());
    const later = normalizeItem(input, context({ now: new Date('2025-03-11T05:00:00Z') }));
    expect(later.published).not.toBe(first.published);
    expect(later.hash).toBe(first.hash);
    expect(later.key).toBe(first.key);
  });

  it('changes the hash of a dated item when its date changes', () => {
    const a = normalizeItem(raw({ guid: 'g', title: 't', published: '2025-03-09T10:00:00Z' }), context());
    const b = normalizeItem(raw({ guid: 'g', title: 't', published: '2025-03-09T11:00:00Z' }), context());
    expect(a.hash).not.toBe(b.hash);
  });
});

describe('normalizeItem: content', () => {
  it('decodes the title, sanitizes HTML and resolves links against the item link', () => {
    const item = normalizeItem(raw({
      guid: 'g',
      title: 'AT&amp;amp;T 发布&nbsp;新品',
      link: 'https://www.chinanews.example.cn/cj/2025/03-09/10380001.shtml',
      summary: '<p onclick="x()">摘要<img src="/img/ai.jpg"></p><script>alert(1)</script>',
      content: '<p>正文</p>',
    }), context());
    expect(item.title).toBe('AT&T 发布 新品');
    expect(item.summary).toBe('<p>摘要<img src="https://www.chinanews.example.cn/img/ai.jpg" /></p>');
    expect(item.content).toBe('<p>正文</p>');
  });

  it('leaves out a summary that equals the content', () => {
    const item = normalizeItem(raw({ guid: 'g', title: 't', summary: '<p>同</p>', content: '<p>同</p>' }), context());
    expect(item.summary).toBeUndefined();
    expect(item.content).toBe('<p>同</p>');
  });

  it('makes a title from the first 80 characters of the summary when the item has none', () => {
    const item = normalizeItem(raw({ guid: 'g', summary: `<p>${'这是一段很长的摘要文字。'.repeat(20)}</p>` }), context());
    expect([...item.title]).toHaveLength(80);
    expect(item.title.endsWith('…')).toBe(true);
  });

  it('calls an item with no title and no text "(untitled)"', () => {
    expect(normalizeItem(raw({ guid: 'g' }), context()).title).toBe('(untitled)');
  });

  it('de-duplicates and decodes categories and drops empty ones', () => {
    const item = normalizeItem(raw({ guid: 'g', title: 't', categories: ['科技', '科技', ' AT&amp;T ', ''] }), context());
    expect(item.categories).toEqual(['科技', 'AT&T']);
  });

  it('resolves enclosure URLs against the document (not the item link) and drops ones that are not http(s)', () => {
    const item = normalizeItem(raw({
      guid: 'g', title: 't', link: 'https://pod.example/42',
      enclosures: [{ url: '/42.mp3', type: 'audio/mpeg', length: 1234 }, { url: 'javascript:alert(1)' }],
    }), context());
    expect(item.enclosures).toEqual([{ url: 'https://www.chinanews.example.cn/42.mp3', type: 'audio/mpeg', length: 1234 }]);
  });

  it('decodes the author name and drops an author URI that is not http(s)', () => {
    const item = normalizeItem(raw({ guid: 'g', title: 't', author: { name: '张三 &amp; 李四', uri: 'javascript:alert(1)' } }), context());
    expect(item.author).toEqual({ name: '张三 & 李四' });
  });

  it('is pure: the same input and context give the same item', () => {
    const input = raw({ title: '快讯', link: 'https://e.example/1', published: 'Sun, 09 Mar 2025 18:42:02 CST', categories: ['新闻'] });
    expect(normalizeItem(input, context())).toEqual(normalizeItem(input, context()));
  });
});
