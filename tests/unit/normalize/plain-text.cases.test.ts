import { describe, expect, it } from 'vitest';
import type { Item, PlainText } from '../../../src/model.ts';
import { toPlainText, type TextForm } from '../../../src/normalize/plain-text.ts';

// One row per kind of text met in feeds, config and OPML files, and stores: what the source wrote, how it wrote
// it, what a reader is shown.
const rows: { why: string; value: string; form: TextForm; expected: string }[] = [
  { why: 'drops an escaped img tag from a text title (the probe\'s channel title)', value: 'News <img src=x onerror=alert(1)>', form: 'text', expected: 'News' },
  { why: 'drops leaked formatting tags and decodes the ampersand once (a title with tags is HTML)', value: '<b>Bold</b> move by AT&amp;T', form: 'text', expected: 'Bold move by AT&T' },
  { why: 'drops a leaked tag escaped twice, as its entities are (an OPML outline\'s text)', value: 'Wire &lt;img src=x onerror=alert(1)&gt; &amp;amp; Co', form: 'text', expected: 'Wire & Co' },
  { why: 'keeps a script tag a text title spells out, as text', value: 'Why &lt;script&gt;alert(1)&lt;/script&gt; is text', form: 'text', expected: 'Why <script>alert(1)</script> is text' },
  { why: 'keeps angle brackets that are no tag', value: 'Vector<int> & Map<K, V>', form: 'text', expected: 'Vector<int> & Map<K, V>' },
  { why: 'keeps what <code> shows: an escaped tag is the text of an html title', value: 'Using <code>&lt;img src=x&gt;</code> in docs', form: 'html', expected: 'Using <img src=x> in docs' },
  { why: 'drops an img with its handler from an html title and decodes its entities once', value: 'Views <img src=x onerror=alert(1)>&amp; Reviews', form: 'html', expected: 'Views & Reviews' },
  { why: 'keeps the text of an xhtml title (the markup parse/ keeps of it)', value: 'Deep <em>Space</em> &amp; <img src="x" onerror="alert(1)">Time', form: 'html', expected: 'Deep Space & Time' },
  { why: 'drops script and style with their content from html', value: 'a<script>alert(1)</script><style>b{}</style> c', form: 'html', expected: 'a c' },
  { why: 'ends words at blocks and line breaks of html', value: '<p>one</p><p>two</p>three<br>four', form: 'html', expected: 'one two three four' },
  { why: 'drops control characters, escape codes included', value: 'Bell\u0007 and \u001b[31mred', form: 'text', expected: 'Bell and [31mred' },
  { why: 'drops control characters a decoded reference produced', value: 'Form&#12;feed', form: 'text', expected: 'Formfeed' },
  { why: 'collapses newlines, tabs, no-break and ideographic spaces', value: ' 北京\u3000今日\n\t晴\u00a0转多云 ', form: 'text', expected: '北京 今日 晴 转多云' },
  { why: 'takes a config title literally: nothing decoded, no tag dropped', value: 'Desk <script>alert(1)</script> &amp; Co', form: 'plain', expected: 'Desk <script>alert(1)</script> &amp; Co' },
  { why: 'still drops control characters and collapses spaces of literal text', value: 'Desk\u0000  \n Wire', form: 'plain', expected: 'Desk Wire' },
  { why: 'is empty for markup with no text', value: '<img src=x onerror=alert(1)>', form: 'html', expected: '' },
];

describe('toPlainText', () => {
  for (const { why, value, form, expected } of rows) {
    it(why, () => {
      expect(toPlainText(value, form)).toBe(expected);
    });
  }

  it('changes nothing it made when its output comes back as plain (what the store does at load)', () => {
    for (const { value, form } of rows) {
      const once = toPlainText(value, form);
      expect(toPlainText(once, 'plain'), value).toBe(once);
    }
  });

  it('clips to a number of characters with an ellipsis, never inside a surrogate pair', () => {
    expect(toPlainText('😀'.repeat(10), 'text', 5)).toBe(`${'😀'.repeat(4)}…`);
    expect(toPlainText('short', 'text', 5)).toBe('short');
  });

  it('is the only way to a PlainText: a raw string is refused by the model (checked by tsc)', () => {
    const raw = 'News <img src=x onerror=alert(1)>';
    // @ts-expect-error a string from a feed is no PlainText until toPlainText made it one
    const title: PlainText = raw;
    // @ts-expect-error nor can an item carry one as its title
    const fields: Pick<Item, 'title'> = { title: raw };
    expect([title, fields.title]).toEqual([raw, raw]);
  });
});
