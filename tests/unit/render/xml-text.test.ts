import { describe, expect, it } from 'vitest';
import { toPlainText } from '../../../src/normalize/plain-text.ts';
import { htmlText } from '../../../src/render/xml-text.ts';

// What an RSS reader that renders a title as HTML must see as the characters, while one that shows it as text
// sees the same characters wherever HTML would not read markup.
const rssRows: { why: string; text: string; expected: string }[] = [
  { why: 'escapes a "<" that opens a tag', text: 'Why <script>alert(1)</script> is text', expected: 'Why &lt;script>alert(1)&lt;/script> is text' },
  { why: 'escapes a "<" that opens a comment or declaration', text: 'a <!-- b <!doctype <?php', expected: 'a &lt;!-- b &lt;!doctype &lt;?php' },
  { why: 'escapes an "&" that starts a reference HTML would decode', text: 'Fish &copy chips &amp; &#60;b&#x3E;', expected: 'Fish &amp;copy chips &amp;amp; &amp;#60;b&amp;#x3E;' },
  { why: 'leaves "AT&T", "R&D" and "Q&A" as they are', text: 'AT&T R&D Q&A', expected: 'AT&T R&D Q&A' },
  { why: 'leaves "<" and ">" that open nothing as they are', text: 'I <3 N.Y., A < B, x > y, 1<2', expected: 'I <3 N.Y., A < B, x > y, 1<2' },
];

describe('htmlText (RSS elements readers render as HTML)', () => {
  for (const { why, text, expected } of rssRows) {
    it(why, () => {
      expect(htmlText(toPlainText(text, 'plain'))).toBe(expected);
    });
  }
});
