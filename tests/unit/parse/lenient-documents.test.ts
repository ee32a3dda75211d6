// Documents a mature feed reader reads and Tributary once rejected or misread (issue 17): RSS without a channel,
// documents cut off at their end, Atom base64 content, and an empty Atom text type. Minimal documents, written here.
import { describe, expect, it } from 'vitest';
import { FeedParseError, UnexpectedShapeError } from '../../../src/parse/errors.ts';
import { parseFeed } from '../../../src/parse/parse-feed.ts';

const RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"';
const ATOM = 'xmlns="http://www.w3.org/2005/Atom"';
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

async function rejection(text: string): Promise<Error> {
  const error = await parseFeed(text).then(() => undefined, (err: Error) => err);
  if (!error) throw new Error('the document was read');
  return error;
}

describe('parseFeed: RSS and RDF without a <channel>', () => {
  const rows = [
    { why: 'RSS 2.0 items directly under <rss>', text: '<rss version="2.0"><item><title>A</title><link>https://e.example/a</link></item><item><title><b>B</b></title></item></rss>', titles: ['A', '<b>B</b>'], format: 'rss' },
    { why: 'RSS without a version, items under <rss>', text: '<rss><item><title>A</title></item></rss>', titles: ['A'], format: 'rss' },
    { why: 'RSS 0.91 items under <rss>', text: '<rss version="0.91"><item><title>A</title></item></rss>', titles: ['A'], format: 'rss' },
    { why: 'RSS with an iTunes namespace and no channel', text: '<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"><item><title>A</title></item></rss>', titles: ['A'], format: 'rss' },
    { why: 'RDF items with no channel at all', text: `<rdf:RDF ${RDF}><item rdf:about="https://e.example/1"><title>A</title></item></rdf:RDF>`, titles: ['A'], format: 'rdf' },
    { why: 'RDF items written inside the channel', text: `<rdf:RDF ${RDF}><channel rdf:about="x"><title>C</title><item><title>A</title></item><item><title>B</title></item></channel></rdf:RDF>`, titles: ['A', 'B'], format: 'rdf' },
    { why: 'RDF items beside the channel (RSS 1.0 as specified)', text: `<rdf:RDF ${RDF}><channel rdf:about="x"><title>C</title></channel><item><title>A</title></item></rdf:RDF>`, titles: ['A'], format: 'rdf' },
    { why: 'an RSS 2.0 root with no channel and no items', text: '<rss version="2.0"/>', titles: [], format: 'rss' },
    { why: 'an RSS channel that is text, not elements', text: '<rss version="2.0"><channel>nothing</channel></rss>', titles: [], format: 'rss' },
  ];
  for (const { why, text, titles, format } of rows) {
    it(`reads ${why}`, async () => {
      const feed = await parseFeed(text);
      expect(feed.format).toBe(format);
      expect(feed.items.map((i) => i.title)).toEqual(titles);
    });
  }

  it('keeps markup and guid of items under <rss> in step with the items', async () => {
    const feed = await parseFeed('<rss version="2.0"><item><guid>g1</guid><description><p>one</p></description></item><item><guid>g2</guid><description>two</description></item></rss>');
    expect(feed.items.map((i) => [i.guid, i.summary])).toEqual([['g1', '<p>one</p>'], ['g2', 'two']]);
  });
});

describe('parseFeed: no raw JavaScript error reaches the operator', () => {
  it('turns a reader exception into UnexpectedShapeError naming the document kind, the TypeError kept as cause', async () => {
    // rss-parser reads <feed>'s links as elements; a <feed> that is only text makes it throw a TypeError.
    const error = await rejection('<feed>just text</feed>');
    expect(error).toBeInstanceOf(UnexpectedShapeError);
    expect(error).toBeInstanceOf(FeedParseError);
    expect(error.message).toMatch(/^unexpected document shape: .*<feed> document/);
    expect(error.message).not.toMatch(/Cannot read|undefined|TypeError/);
    expect((error as Error & { cause: unknown }).cause).toBeInstanceOf(TypeError);
  });

  // A sweep of odd shapes: the first three and <feed>text</feed> threw a TypeError before; the rest are guards.
  const shapes = ['<rss version="2.0"/>', '<rss version="0.91">x</rss>', `<rdf:RDF ${RDF}>x</rdf:RDF>`, '<rss><channel/></rss>',
    '<feed>text</feed>', '<feed><entry>x</entry><link>x</link></feed>', '<rss version="2.0"><channel><item/><item>x</item><image>x</image></channel></rss>',
    '<rss version="2.0"><channel><item><media:group>x</media:group><enclosure/><guid/><source/></item></channel></rss>'];
  for (const text of shapes) {
    it(`reads or refuses with a FeedParseError, never a TypeError: ${text}`, async () => {
      const outcome = await parseFeed(text).then(() => undefined, (err: unknown) => err);
      if (outcome !== undefined) {
        expect(outcome).toBeInstanceOf(FeedParseError);
        expect((outcome as Error).message).not.toMatch(/Cannot read properties|is not a function|TypeError/);
      }
    });
  }
});

describe('parseFeed: a document cut off at its end', () => {
  const head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Cut</title>'
    + '<item><guid>1</guid><title>One</title></item><item><guid>2</guid><title>Two</title></item>';
  const rows = [
    { why: 'the last ">" missing', text: `${head}</channel></rss`, kept: ['One', 'Two'] },
    { why: 'the end tags missing', text: head, kept: ['One', 'Two'] },
    { why: 'the last item cut inside its title', text: `${head}<item><guid>3</guid><title>Thr`, kept: ['One', 'Two'] },
    { why: 'the last item cut inside an attribute', text: `${head}<item><guid isPermaLink="fa`, kept: ['One', 'Two'] },
    { why: 'the last item cut inside a CDATA section', text: `${head}<item><description><![CDATA[<p>half`, kept: ['One', 'Two'] },
    { why: 'an Atom feed cut inside its last entry', text: `<feed ${ATOM}><title>A</title><entry><id>1</id><title>One</title></entry><entry><id>2</id><ti`, kept: ['One'] },
    { why: 'an RDF document cut after its items', text: `<rdf:RDF ${RDF}><channel rdf:about="x"><title>C</title></channel><item><title>One</title></item></rdf:R`, kept: ['One'] },
  ];
  for (const { why, text, kept } of rows) {
    it(`keeps every complete item and says the document was cut: ${why}`, async () => {
      const feed = await parseFeed(text);
      expect(feed.items.map((i) => i.title)).toEqual(kept);
      expect(feed.warnings).toHaveLength(1);
      expect(feed.warnings![0]).toMatch(new RegExp(`^the document is cut off before its end \\(.+\\); read the ${kept.length} complete items? before the cut$`));
    });
  }

  it('keeps the channel fields read before the cut', async () => {
    const feed = await parseFeed(`${head}<item><ti`);
    expect(feed.title).toBe('Cut');
  });

  it('rejects a document cut before its first complete item', async () => {
    const error = await rejection('<rss version="2.0"><channel><title>Cut</title><item><title>One</tit');
    expect(error).toBeInstanceOf(FeedParseError);
    expect(error.message).toMatch(/^unparsable XML: .*the document is cut off before its first complete item$/);
  });

  // guards (held before): a broken middle is no cut, and a whole document has nothing to say
  it('still rejects a document broken in its middle', async () => {
    const error = await rejection(`${head}<item><title>x</wrong></item></channel></rss>`);
    expect(error.message).toMatch(/^unparsable XML: Unexpected close tag/);
  });

  it('gives no warning for a whole document', async () => {
    expect((await parseFeed(`${head}</channel></rss>`)).warnings).toBeUndefined();
  });
});

describe('parseFeed: Atom text constructs', () => {
  it('decodes base64 content of a non-text media type when it is UTF-8 HTML', async () => {
    const feed = await parseFeed(`<feed ${ATOM}><entry><id>1</id><title>T</title><content type="application/octet-stream">${base64('<p>Hi <b>there</b> 你好</p>')}</content></entry></feed>`);
    expect(feed.items[0]!.content).toBe('<p>Hi <b>there</b> 你好</p>');
  });

  it('decodes base64 UTF-8 plain text of another media type as text', async () => {
    const feed = await parseFeed(`<feed ${ATOM}><entry><id>1</id><title type="application/json">${base64('A & B 标题')}</title><summary type="application/x-unknown">${base64('1 < 2\nand more')}</summary></entry></feed>`);
    expect(feed.items[0]!.title).toBe('A & B 标题');
    expect(feed.items[0]!.titleIsHtml).toBeUndefined();
    expect(feed.items[0]!.summary).toBe('1 &lt; 2<br>and more');
  });

  it('drops base64 content whose bytes are no text (an image)', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff]).toString('base64');
    const feed = await parseFeed(`<feed ${ATOM}><entry><id>1</id><title>T</title><content type="image/png">${png}</content></entry></feed>`);
    expect(feed.items[0]!.content).toBeUndefined();
  });

  it('reads a title with type="" as text', async () => {
    const feed = await parseFeed(`<feed ${ATOM}><title type="">Feed &amp; co</title><entry><id>1</id><title type=" ">Fish &amp; chips</title></entry></feed>`);
    expect(feed.title).toBe('Feed & co');
    expect(feed.items[0]!.title).toBe('Fish & chips');
    expect(feed.items[0]!.titleIsHtml).toBeUndefined();
  });
});
