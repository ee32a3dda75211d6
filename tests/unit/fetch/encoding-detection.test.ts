// Documents that name their encoding badly or not at all, built byte by byte with iconv-lite's encoders: the
// byte shapes of UTF-16/32 (XML 1.0 Appendix F), undeclared CJK charsets (a detector's guess), and windows-1252
// characters that arrive as C1 controls.
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../../src/fetch/charset.ts';
import { TRACKING_PARAMS } from '../../../src/normalize/urls.ts';
import { parseFeed } from '../../../src/parse/parse-feed.ts';
import { readDocument } from '../../../src/read-document.ts';

const DECLARED = '<?xml version="1.0" encoding="UTF-16"?>';
const feed = (titles: string[], declaration = '') => `${declaration}<rss version="2.0"><channel><title>新闻中心</title>`
  + `<link>http://news.example.cn/</link>${titles.map((t, i) => `<item><title>${t}</title><link>http://news.example.cn/2026/12/${i}.html</link>`
  + `<description>${t}。记者从有关部门获悉，相关工作正在有序推进。</description></item>`).join('')}</channel></rss>`;
const ZH = ['国务院常务会议部署进一步稳定经济运行措施', '北京今冬首场降雪 气温骤降', '喆镕堃：教育部发布高校招生新规'];
const bytesOf = (text: string, charset: string, bom: number[] = []) => Buffer.concat([Buffer.from(bom), iconv.encode(text, charset, { addBOM: false })]);
const titlesOf = async (text: string) => (await parseFeed(text)).items.map((i) => i.title);

describe('decodeBody: the byte shape of UTF-16 and UTF-32 (XML 1.0 Appendix F)', () => {
  const rows = [
    { name: 'UTF-32LE with BOM FF FE 00 00 (not UTF-16LE)', bytes: bytesOf(feed(ZH, DECLARED.replace('16', '32')), 'utf-32le', [0xff, 0xfe, 0, 0]), charset: 'utf-32le', from: 'bom' },
    { name: 'UTF-32BE with BOM 00 00 FE FF', bytes: bytesOf(feed(ZH, DECLARED.replace('16', '32')), 'utf-32be', [0, 0, 0xfe, 0xff]), charset: 'utf-32be', from: 'bom' },
    { name: 'UTF-32LE without BOM', bytes: bytesOf(feed(ZH, DECLARED.replace('16', '32')), 'utf-32le'), charset: 'utf-32le', from: 'prolog' },
    { name: 'UTF-32BE without BOM', bytes: bytesOf(feed(ZH, DECLARED.replace('16', '32')), 'utf-32be'), charset: 'utf-32be', from: 'prolog' },
    { name: 'UTF-16BE with BOM', bytes: bytesOf(feed(ZH, DECLARED), 'utf-16be', [0xfe, 0xff]), charset: 'utf-16be', from: 'bom' },
    { name: 'UTF-16LE with BOM', bytes: bytesOf(feed(ZH, DECLARED), 'utf-16le', [0xff, 0xfe]), charset: 'utf-16le', from: 'bom' },
    { name: 'UTF-16BE without BOM', bytes: bytesOf(feed(ZH, DECLARED), 'utf-16be'), charset: 'utf-16be', from: 'prolog' },
    { name: 'UTF-16LE without BOM', bytes: bytesOf(feed(ZH, DECLARED), 'utf-16le'), charset: 'utf-16le', from: 'prolog' },
    { name: 'UTF-16BE without BOM or declaration, starting with a line break', bytes: bytesOf(`\n${feed(ZH)}`, 'utf-16be'), charset: 'utf-16be', from: 'prolog' },
  ];
  it.each(rows)('$name', async ({ bytes, charset, from }) => {
    // The server's label is wrong: no ASCII-compatible charset starts a document with NULs.
    const decoded = decodeBody(bytes, { contentType: 'application/rss+xml; charset=utf-8' });
    expect(decoded).toMatchObject({ charset, from });
    expect(decoded.text.charCodeAt(0)).not.toBe(0xfeff);
    expect(await titlesOf(decoded.text)).toEqual(ZH);
  });
});

describe('decodeBody: a guess for undeclared bytes that are not UTF-8', () => {
  const rows = [
    { name: 'GBK news with no declaration and no HTTP charset', text: feed(ZH), encoding: 'gbk', charset: 'gb18030', titles: ZH },
    { name: 'GB2312 read as GB18030', text: feed(ZH.slice(0, 2)), encoding: 'gb2312', charset: 'gb18030', titles: ZH.slice(0, 2) },
    { name: 'Big5', text: feed(['總統府發表聲明，民眾關注颱風動態', '臺灣新聞：颱風來襲，各縣市停班停課']), encoding: 'big5', charset: 'big5hkscs',
      titles: ['總統府發表聲明，民眾關注颱風動態', '臺灣新聞：颱風來襲，各縣市停班停課'] },
    { name: 'Shift_JIS', text: feed(['日本語のニュース：東京で桜が開花しました', '気象庁「今週末は全国的に晴れ」']), encoding: 'shift_jis', charset: 'cp932',
      titles: ['日本語のニュース：東京で桜が開花しました', '気象庁「今週末は全国的に晴れ」'] },
    { name: 'EUC-KR', text: feed(['한국어 뉴스: 서울 날씨 맑음, 내일은 비', '국회, 내년도 예산안 본회의 통과']), encoding: 'euc-kr', charset: 'cp949',
      titles: ['한국어 뉴스: 서울 날씨 맑음, 내일은 비', '국회, 내년도 예산안 본회의 통과'] },
    { name: 'windows-1252 smart quotes', text: '<rss><channel><title>Notes</title><item><title>Why we’re moving – “finally”</title></item></channel></rss>',
      encoding: 'windows-1252', charset: 'windows-1252', titles: ['Why we’re moving – “finally”'] },
  ];
  it.each(rows)('$name', async ({ text, encoding, charset, titles }) => {
    const decoded = decodeBody(iconv.encode(text, encoding), { contentType: 'application/rss+xml' });
    expect(decoded).toMatchObject({ charset, from: 'guess' });
    expect(decoded.confidence).toBeGreaterThan(0);
    expect(decoded.text).not.toContain('\uFFFD');
    expect(await titlesOf(decoded.text)).toEqual(titles);
  });

  it('keeps a UTF-8 document with one stray byte UTF-8: one U+FFFD, no mojibake elsewhere', async () => {
    const good = Buffer.from(feed(ZH));
    const cut = good.indexOf(Buffer.from('北京'));
    const bytes = Buffer.concat([good.subarray(0, cut), Buffer.from([0xe5]), good.subarray(cut)]);
    const decoded = decodeBody(bytes);
    expect(decoded).toMatchObject({ charset: 'utf-8', from: 'default' });
    expect(await titlesOf(decoded.text)).toEqual([ZH[0], `\uFFFD${ZH[1]}`, ZH[2]]);
  });

  it('guesses nothing when the document declares its charset, even wrongly', () => {
    const decoded = decodeBody(iconv.encode(feed(ZH), 'gbk'), { contentType: 'text/xml; charset=utf-8' });
    expect(decoded).toMatchObject({ charset: 'utf-8', from: 'http' });
    expect(decoded.text).toContain('\uFFFD');
  });
});

describe('decodeBody and parsing: windows-1252 characters met as C1 controls', () => {
  const doc = (title: string) => `<rss><channel><title>c</title><item><title>${title}</title><description><![CDATA[<p>${title}</p>]]></description></item></channel></rss>`;
  it.each([
    ['raw U+0092 in a UTF-8 document', Buffer.from(doc('don\u0092t \u0093quote\u0094 \u0080 5')), {}],
    ['raw U+0092 in a document labelled UTF-8', Buffer.from(`<?xml version="1.0" encoding="utf-8"?>${doc('don\u0092t \u0093quote\u0094 \u0080 5')}`), {}],
    ['&#146; references in a UTF-8 document', Buffer.from(doc('don&#146;t &#147;quote&#x94; &#128; 5')), {}],
    ['&#146; references in a document labelled ISO-8859-1', Buffer.from(doc('don&#146;t &#147;quote&#x94; &#128; 5')), { contentType: 'text/xml; charset=iso-8859-1' }],
    ['raw 0x92 bytes labelled ISO-8859-1', iconv.encode(doc('don’t “quote” € 5'), 'windows-1252'), { contentType: 'text/xml; charset=ISO-8859-1' }],
  ])('%s', async (_name, bytes, hints) => {
    // As stored: the title is read by the XML parser, the CDATA summary by the HTML sanitizer.
    const { items } = await readDocument(decodeBody(bytes, hints).text, {
      sourceId: 's', url: 'http://c.example.org/feed', documentUrl: 'http://c.example.org/feed', timezone: 'UTC',
      now: new Date('2026-12-06T00:00:00Z'), idAuthority: 'tributary.test', trackingParams: TRACKING_PARAMS,
    });
    expect(items[0]!.title).toBe('don’t “quote” € 5');
    expect(items[0]!.summary).toBe('<p>don’t “quote” € 5</p>');
  });
});
