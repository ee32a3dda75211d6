import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { XmlEntityError } from '../../../src/parse/errors.ts';
import { prepareXml } from '../../../src/parse/prepare-xml.ts';

function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/unit/parse/${name}`, import.meta.url), 'utf8');
}

const rows: { why: string; input: string; output: string }[] = [
  { why: 'turns &nbsp; into a numeric reference a strict parser accepts', input: '<t>两会&nbsp;观察</t>', output: '<t>两会&#160;观察</t>' },
  {
    why: 'turns other HTML named entities into numeric references',
    input: '<t>&mdash;&hellip;&copy;&ldquo;&rdquo;&eacute;</t>',
    output: '<t>&#8212;&#8230;&#169;&#8220;&#8221;&#233;</t>',
  },
  { why: 'keeps the five XML entities as they are', input: '<t>&amp;&lt;&gt;&quot;&apos;</t>', output: '<t>&amp;&lt;&gt;&quot;&apos;</t>' },
  { why: 'escapes a bare ampersand in a link query', input: '<link>https://a.example/p?id=1&type=2</link>', output: '<link>https://a.example/p?id=1&amp;type=2</link>' },
  { why: 'escapes a bare ampersand between words', input: '<t>AT&T 与 Verizon</t>', output: '<t>AT&amp;T 与 Verizon</t>' },
  { why: 'escapes an unknown named reference instead of failing on it', input: '<t>&foo; &zwnbsp;</t>', output: '<t>&amp;foo; &amp;zwnbsp;</t>' },
  { why: 'keeps legal decimal and hex character references', input: '<t>&#65;&#x4E2D;&#x1F600;</t>', output: '<t>&#65;&#x4E2D;&#x1F600;</t>' },
  { why: 'drops character references to characters XML forbids', input: '<t>a&#0;b&#x1;c&#xD800;d&#xFFFE;e</t>', output: '<t>abcde</t>' },
  {
    why: 'drops C0 control characters but keeps tab, LF and CR',
    input: '<t>\u0000a\u0001b\u0008c\u000bd\u000ce\u001ff\tg\nh\ri\uffffj</t>',
    output: '<t>abcdef\tg\nh\rij</t>',
  },
  { why: 'drops a leading BOM', input: '\ufeff<rss/>', output: '<rss/>' },
  {
    why: 'removes a DOCTYPE with a public identifier',
    input: '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd"><rss/>',
    output: '<rss/>',
  },
  { why: 'leaves a document without any of these quirks unchanged', input: '<rss version="2.0"><channel><title>中文</title></channel></rss>', output: '<rss version="2.0"><channel><title>中文</title></channel></rss>' },
];

describe('prepareXml', () => {
  for (const { why, input, output } of rows) it(why, () => {
    expect(prepareXml(input)).toBe(output);
  });

  it('rejects an internal-subset entity with replacement text instead of expanding it', () => {
    expect(() => prepareXml('<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "b">]><rss>&a;</rss>')).toThrow(XmlEntityError);
  });

  it('rejects a billion-laughs document before anything is expanded', () => {
    expect(() => prepareXml(fixture('billion-laughs.rss.xml'))).toThrow(XmlEntityError);
  });

  it('rejects an XXE document naming the external entity, reading nothing', () => {
    expect(() => prepareXml(fixture('xxe-file-passwd.rss.xml'))).toThrow(/entity "xxe", which refers to an external resource/);
  });

  // regression: CDATA content is character data, but prepareXml rewrites "&" inside it, so a CDATA link
  // "show.php?id=1024&type=2" comes out of the parser as "show.php?id=1024&amp;type=2" (and "&nbsp;" as "&#160;").
  it('leaves the inside of CDATA sections as it is', () => {
    const input = fixture('rss-cdata-link-ampersand.rss.xml');
    const cdataOf = (xml: string) => xml.match(/<!\[CDATA\[[\s\S]*?\]\]>/g);
    expect(cdataOf(prepareXml(input))).toEqual(cdataOf(input));
  });
});
