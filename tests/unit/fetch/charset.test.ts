// The fixtures under charsets/ were encoded with glibc's iconv, an implementation independent of the
// iconv-lite we decode with, so a table error in either shows up here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalCharset, decodeBody, type CharsetHints, type DecodedText } from '../../../src/fetch/charset.ts';
import { parseFeed } from '../../../src/parse/parse-feed.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/feeds/${name}`, import.meta.url));
const GBK = fixture('chinanews.gbk.rss.xml');
/** The GBK fixture with its XML declaration naming no encoding, so only other hints can tell. */
const GBK_UNDECLARED = Buffer.from(GBK.toString('latin1').replace(' encoding="gb2312"', ''), 'latin1');

interface Row {
  name: string;
  bytes: Buffer;
  hints: CharsetHints;
  charset: string;
  from: DecodedText['from'];
  titles: string[];
}

const rows: Row[] = [
  { name: 'GBK labelled gb2312 in the XML declaration, GBK-only characters included', bytes: GBK, hints: { contentType: 'text/xml' },
    charset: 'gb18030', from: 'xml', titles: ['国产大模型：既需“仰望星空”也要脚踏实地', '喆镕堃：北京今日晴转多云', '新能源汽车3月销量创新高'] },
  { name: 'GBK with the charset only in the HTTP header', bytes: GBK_UNDECLARED, hints: { contentType: 'application/rss+xml; charset=GBK' },
    charset: 'gb18030', from: 'http', titles: ['国产大模型：既需“仰望星空”也要脚踏实地', '喆镕堃：北京今日晴转多云', '新能源汽车3月销量创新高'] },
  { name: 'GBK mislabelled GB2312 in the HTTP header is read as GB18030', bytes: GBK_UNDECLARED, hints: { contentType: 'text/xml; charset="gb2312"' },
    charset: 'gb18030', from: 'http', titles: ['国产大模型：既需“仰望星空”也要脚踏实地', '喆镕堃：北京今日晴转多云', '新能源汽车3月销量创新高'] },
  { name: 'GBK named only by the source override', bytes: GBK_UNDECLARED, hints: { contentType: 'text/xml', override: 'gbk' },
    charset: 'gb18030', from: 'override', titles: ['国产大模型：既需“仰望星空”也要脚踏实地', '喆镕堃：北京今日晴转多云', '新能源汽车3月销量创新高'] },
  { name: 'GB18030 four-byte sequences', bytes: fixture('charsets/gb18030.rss.xml'), hints: {},
    charset: 'gb18030', from: 'xml', titles: ['喆镕堃：北京今日晴转多云', '€ 与 𠀀 同在 GB18030 四字节区'] },
  { name: 'Big5 from the XML declaration', bytes: fixture('charsets/big5.rss.xml'), hints: { contentType: 'application/xml' },
    charset: 'big5hkscs', from: 'xml', titles: ['臺灣新聞：颱風來襲', '總統府發表聲明，民眾關注'] },
  { name: 'Shift_JIS', bytes: fixture('charsets/shift_jis.rss.xml'), hints: {},
    charset: 'cp932', from: 'xml', titles: ['日本語のニュース：東京で桜が開花', '気象庁「今週末は晴れ」'] },
  { name: 'EUC-KR', bytes: fixture('charsets/euc-kr.rss.xml'), hints: {},
    charset: 'cp949', from: 'xml', titles: ['한국어 뉴스: 서울 날씨 맑음', '국회, 예산안 통과'] },
  { name: 'windows-1252 curly quotes, euro sign and ligatures', bytes: fixture('charsets/windows-1252.rss.xml'), hints: {},
    charset: 'windows-1252', from: 'xml', titles: ['Café “menu” – €5 for naïve diners', 'Zoë’s œuvre: ‘déjà vu’ … ™'] },
  { name: 'windows-1252 bytes labelled ISO-8859-1 by the server, as browsers read them', bytes: fixture('charsets/windows-1252.rss.xml'),
    hints: { contentType: 'text/xml; charset=ISO-8859-1' }, charset: 'windows-1252', from: 'http',
    titles: ['Café “menu” – €5 for naïve diners', 'Zoë’s œuvre: ‘déjà vu’ … ™'] },
  { name: 'ISO-8859-2', bytes: fixture('charsets/iso-8859-2.rss.xml'), hints: {},
    charset: 'iso-8859-2', from: 'xml', titles: ['Zażółć gęślą jaźń', 'Łódź: Śnieżka pod śniegiem'] },
  { name: 'an unknown HTTP label falls through to the XML declaration', bytes: fixture('charsets/big5.rss.xml'),
    hints: { contentType: 'text/xml; charset=no-such-charset' }, charset: 'big5hkscs', from: 'xml', titles: ['臺灣新聞：颱風來襲', '總統府發表聲明，民眾關注'] },
];

describe('decodeBody: BOM, HTTP charset, XML declaration, override, UTF-8', () => {
  it.each(rows)('$name', async ({ bytes, hints, charset, from, titles }) => {
    const decoded = decodeBody(bytes, hints);
    expect(decoded.charset).toBe(charset);
    expect(decoded.from).toBe(from);
    expect(decoded.text).not.toContain('\uFFFD');
    const feed = await parseFeed(decoded.text);
    expect(feed.items.map((i) => i.title)).toEqual(titles);
  });

  it('turns an invalid GBK byte into U+FFFD in that title only, leaving the markup and other items intact', async () => {
    const decoded = decodeBody(fixture('charsets/gbk-invalid-byte.rss.xml'));
    const feed = await parseFeed(decoded.text);
    expect(feed.items.map((i) => i.title)).toEqual(['国产大模型：既需“仰望星空”也要脚踏实地', '喆镕堃：北京今日晴\uFFFD转多云', '新能源汽车3月销量创新高']);
    expect(decoded.text.split('\uFFFD')).toHaveLength(2);
  });

  it('lets a BOM win over a contradicting HTTP charset', () => {
    const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<rss><channel><title>中文</title></channel></rss>')]);
    expect(decodeBody(utf8, { contentType: 'text/xml; charset=gbk' })).toMatchObject({ charset: 'utf-8', from: 'bom' });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<rss>中文</rss>', 'utf16le')]);
    expect(decodeBody(utf16, { contentType: 'text/xml; charset=gbk' }).text).toBe('<rss>中文</rss>');
  });

  it('reads a UTF-16 label in an ASCII-readable declaration as UTF-8', () => {
    const bytes = Buffer.from('<?xml version="1.0" encoding="UTF-16"?><rss><channel><title>Ünïcode</title></channel></rss>');
    expect(decodeBody(bytes)).toMatchObject({ charset: 'utf-8', from: 'xml' });
  });

  it('defaults to UTF-8 and marks an invalid byte among valid UTF-8 with U+FFFD', () => {
    // Mostly invalid bytes would be guessed instead (encoding-detection.test.ts).
    const bytes = Buffer.concat([Buffer.from('<a>é'), Buffer.from([0xe4]), Buffer.from('中</a>')]);
    expect(decodeBody(bytes)).toEqual({ text: '<a>é\uFFFD中</a>', charset: 'utf-8', from: 'default' });
  });
});

describe('canonicalCharset', () => {
  it.each([
    ['GB2312', 'gb18030'], ['gbk', 'gb18030'], ['x-gbk', 'gb18030'], ['GB18030', 'gb18030'],
    ['Big5', 'big5hkscs'], ['Shift_JIS', 'cp932'], ['EUC-KR', 'cp949'], ['iso-8859-1', 'windows-1252'],
    ['US-ASCII', 'windows-1252'], ['ISO-8859-15', 'iso-8859-15'], ['koi8-r', 'koi8-r'], ['UTF8', 'utf-8'], [' utf-8 ', 'utf-8'],
  ])('%s -> %s', (label, expected) => {
    expect(canonicalCharset(label)).toBe(expected);
  });

  it('returns undefined for a label no decoder knows', () => {
    expect(canonicalCharset('x-klingon')).toBeUndefined();
  });
});
