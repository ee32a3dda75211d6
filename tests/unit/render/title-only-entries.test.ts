import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { Item } from '../../../src/model.ts';
import { EMPTY_FEED_DATE } from '../../../src/render/feed-document.ts';
import { feedPage } from '../../../src/render/feed-pages.ts';
import { renderFeed } from '../../../src/render/render-feed.ts';
import { lintAtom } from '../../helpers/feed-lint.ts';
import { plain } from '../../helpers/plain-text.ts';
import { sampleContext, sampleItems, sampleSpec } from '../../helpers/sample-items.ts';

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (n) => ['entry', 'item'].includes(n) });

function render(items: Item[]) {
  const out = renderFeed(feedPage(sampleSpec(items), items, { page: 1 }, 50, EMPTY_FEED_DATE), sampleContext());
  return { atom: out.atom.body.toString('utf8'), rss: out.rss.body.toString('utf8'), json: JSON.parse(out.json.body.toString('utf8')) };
}

describe('render: title-only items (MissingTextualContent)', () => {
  it('gives an Atom entry with neither summary nor content its title as summary, escaped as HTML text', () => {
    const r = render(sampleItems(2, (n) => (n === 2 ? { summary: undefined, title: plain('AT&T <b>cuts</b> prices') } : {})));
    expect(lintAtom(r.atom)).toEqual([]);
    const entries = xml.parse(r.atom).feed.entry;
    expect(entries[0].summary).toMatchObject({ '@type': 'html', '#text': 'AT&amp;T &lt;b&gt;cuts&lt;/b&gt; prices' });
    // An item with its own summary keeps it.
    expect(entries[1].summary['#text']).toBe('<p>Summary of story 1</p>');
  });

  it('adds nothing to RSS or JSON Feed, where a reader would see the title twice', () => {
    const r = render(sampleItems(1, () => ({ summary: undefined })));
    expect(xml.parse(r.rss).rss.channel.item[0].description).toBeUndefined();
    expect(r.json.items[0].summary).toBeUndefined();
    expect(r.json.items[0].content_html).toBeUndefined();
  });

  it('leaves an entry with content but no summary as it is', () => {
    const r = render(sampleItems(1, () => ({ summary: undefined, content: '<p>Body</p>' })));
    const entry = xml.parse(r.atom).feed.entry[0];
    expect(entry.summary).toBeUndefined();
    expect(entry.content['#text']).toBe('<p>Body</p>');
  });
});
