import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { canonicalCharset, decodeBody, type CharsetHints, type DecodedText } from '../../../src/fetch/charset.ts';

const UTF8_BOM = Uint8Array.of(0xef, 0xbb, 0xbf);

/** An RSS document whose prolog names `declared` (or has no encoding when undefined), encoded as `actual`. */
function rssBytes(title: string, actual: string, declared?: string): Buffer {
  const prolog = declared === undefined ? '<?xml version="1.0"?>' : `<?xml version="1.0" encoding="${declared}"?>`;
  return iconv.encode(`${prolog}\n<rss version="2.0"><channel><title>${title}</title></channel></rss>`, actual);
}

function titleOf(text: string): string | undefined {
  return text.match(/<title>([^<]*)<\/title>/)?.[1];
}

// 喆 堃 镕 are in GBK but not in GB2312: a decoder that takes "gb2312" literally turns them into U+FFFD.
const GBK_ONLY = '喆堃镕：北京今日晴转多云';

interface DecodeRow {
  why: string;
  bytes: Uint8Array;
  hints: CharsetHints;
  title: string;
  charset: string;
  from: DecodedText['from'];
}

const rows: DecodeRow[] = [
  {
    why: 'a UTF-8 BOM wins over an HTTP GBK charset, a GBK prolog and a Big5 override',
    bytes: Buffer.concat([UTF8_BOM, rssBytes('中文标题', 'utf-8', 'gbk')]),
    hints: { contentType: 'text/xml; charset=GBK', override: 'big5' },
    title: '中文标题', charset: 'utf-8', from: 'bom',
  },
  {
    why: 'a UTF-16LE BOM wins over an HTTP charset that says GBK',
    bytes: iconv.encode('\ufeff<?xml version="1.0" encoding="utf-8"?><rss><channel><title>中文标题</title></channel></rss>', 'utf-16le'),
    hints: { contentType: 'application/rss+xml; charset=GBK' },
    title: '中文标题', charset: 'utf-16le', from: 'bom',
  },
  {
    why: 'a UTF-16BE BOM is read as UTF-16BE',
    bytes: iconv.encode('\ufeff<rss><channel><title>德国之声</title></channel></rss>', 'utf-16be'),
    hints: {},
    title: '德国之声', charset: 'utf-16be', from: 'bom',
  },
  {
    why: 'the HTTP charset GBK decodes a body with no prolog',
    bytes: iconv.encode(`<rss><channel><title>${GBK_ONLY}</title></channel></rss>`, 'gbk'),
    hints: { contentType: 'text/xml; charset=GBK' },
    title: GBK_ONLY, charset: 'gb18030', from: 'http',
  },
  {
    why: 'a quoted HTTP charset "gb2312" is read as GB18030',
    bytes: iconv.encode(`<rss><channel><title>${GBK_ONLY}</title></channel></rss>`, 'gbk'),
    hints: { contentType: 'application/rss+xml; charset="gb2312"' },
    title: GBK_ONLY, charset: 'gb18030', from: 'http',
  },
  {
    why: 'the HTTP charset wins over the prolog when they disagree',
    bytes: rssBytes('中文标题', 'utf-8', 'gbk'),
    hints: { contentType: 'text/xml; charset=utf-8' },
    title: '中文标题', charset: 'utf-8', from: 'http',
  },
  {
    why: 'a prolog encoding="gb2312" decodes GBK-only characters because GB2312 is read as GB18030',
    bytes: rssBytes(GBK_ONLY, 'gbk', 'gb2312'),
    hints: { contentType: 'text/xml' },
    title: GBK_ONLY, charset: 'gb18030', from: 'xml',
  },
  {
    why: 'a prolog in single quotes after leading whitespace is still read',
    bytes: iconv.encode(`\r\n  <?xml version='1.0' encoding='GBK'?><rss><channel><title>${GBK_ONLY}</title></channel></rss>`, 'gbk'),
    hints: {},
    title: GBK_ONLY, charset: 'gb18030', from: 'xml',
  },
  {
    why: 'the override is ignored when the prolog names a charset',
    bytes: rssBytes('臺灣新聞', 'big5', 'big5'),
    hints: { override: 'gbk' },
    title: '臺灣新聞', charset: 'big5hkscs', from: 'xml',
  },
  {
    why: 'the override is ignored when the HTTP header names a charset',
    bytes: iconv.encode('<rss><channel><title>臺灣新聞</title></channel></rss>', 'big5'),
    hints: { contentType: 'text/xml;charset=big5', override: 'gbk' },
    title: '臺灣新聞', charset: 'big5hkscs', from: 'http',
  },
  {
    why: 'the override decodes a GBK body when neither header nor prolog names a charset',
    bytes: rssBytes(GBK_ONLY, 'gbk'),
    hints: { contentType: 'application/xml', override: 'gbk' },
    title: GBK_ONLY, charset: 'gb18030', from: 'override',
  },
  {
    why: 'UTF-8 is the default when nothing names a charset',
    bytes: rssBytes('少数派 — “引号”', 'utf-8'),
    hints: { contentType: null },
    title: '少数派 — “引号”', charset: 'utf-8', from: 'default',
  },
  {
    why: 'an unknown HTTP label falls through to the prolog',
    bytes: rssBytes(GBK_ONLY, 'gbk', 'gbk'),
    hints: { contentType: 'text/xml; charset=utf-9' },
    title: GBK_ONLY, charset: 'gb18030', from: 'xml',
  },
  {
    why: 'an unknown prolog label falls through to the override',
    bytes: rssBytes(GBK_ONLY, 'gbk', 'x-user-defined-cn'),
    hints: { override: 'GB2312' },
    title: GBK_ONLY, charset: 'gb18030', from: 'override',
  },
  {
    why: 'unknown labels everywhere fall through to UTF-8',
    bytes: rssBytes('中文标题', 'utf-8', 'x-unknown'),
    hints: { contentType: 'text/xml; charset=bogus', override: 'nonsense' },
    title: '中文标题', charset: 'utf-8', from: 'default',
  },
  {
    why: 'Big5 named in the prolog decodes traditional Chinese',
    bytes: rssBytes('中央社即時新聞：颱風動態', 'big5', 'big5'),
    hints: {},
    title: '中央社即時新聞：颱風動態', charset: 'big5hkscs', from: 'xml',
  },
  {
    why: 'windows-1252 keeps curly quotes 0x93/0x94 and the euro sign',
    bytes: rssBytes('\u201cBreaking\u201d caf\u00e9 \u20ac5', 'windows-1252', 'windows-1252'),
    hints: {},
    title: '“Breaking” café €5', charset: 'windows-1252', from: 'xml',
  },
  {
    why: 'ISO-8859-1 is read as windows-1252, so 0x93/0x94 are curly quotes rather than C1 controls',
    bytes: Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel><title>'),
      Buffer.from([0x93, 0x51, 0x75, 0x6f, 0x74, 0x65, 0x94, 0x20, 0xe9]),
      Buffer.from('</title></channel></rss>'),
    ]),
    hints: {},
    title: '“Quote” é', charset: 'windows-1252', from: 'xml',
  },
  {
    why: 'Shift_JIS named in the HTTP header decodes Japanese',
    bytes: rssBytes('日本語のニュース・速報', 'shift_jis'),
    hints: { contentType: 'application/rss+xml; charset=Shift_JIS' },
    title: '日本語のニュース・速報', charset: 'cp932', from: 'http',
  },
];

describe('decodeBody', () => {
  for (const { why, bytes, hints, title, charset, from } of rows) it(why, () => {
    const decoded = decodeBody(bytes, hints);
    expect(titleOf(decoded.text)).toBe(title);
    expect(decoded.charset).toBe(charset);
    expect(decoded.from).toBe(from);
    expect(decoded.text).not.toContain('\ufffd');
  });

  it('strips the BOM from the decoded text', () => {
    const decoded = decodeBody(Buffer.concat([UTF8_BOM, Buffer.from('<rss/>')]));
    expect(decoded.text).toBe('<rss/>');
  });

  it('reads only its own bytes of a Uint8Array that views part of a larger buffer', () => {
    const whole = Buffer.concat([Buffer.from('JUNK'), rssBytes(GBK_ONLY, 'gbk', 'gbk'), Buffer.from('JUNK')]);
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 4, whole.byteLength - 8);
    const decoded = decodeBody(view);
    expect(decoded.text.startsWith('<?xml')).toBe(true);
    expect(decoded.text.endsWith('</rss>')).toBe(true);
    expect(titleOf(decoded.text)).toBe(GBK_ONLY);
  });

  it('does not look for a prolog past the start of the document', () => {
    const bytes = iconv.encode(`<rss><!-- <?xml version="1.0" encoding="gbk"?> --><channel><title>中文</title></channel></rss>`, 'utf-8');
    expect(decodeBody(bytes).from).toBe('default');
  });
});

describe('canonicalCharset', () => {
  it.each([
    ['GB2312', 'gb18030'],
    ['gbk', 'gb18030'],
    ['x-gbk', 'gb18030'],
    ['CP936', 'gb18030'],
    [' GB18030 ', 'gb18030'],
    ['Big5-HKSCS', 'big5hkscs'],
    ['iso-8859-1', 'windows-1252'],
    ['US-ASCII', 'windows-1252'],
    ['Shift_JIS', 'cp932'],
    ['EUC-JP', 'euc-jp'],
    ['utf-9', undefined],
    ['', undefined],
  ])('maps the label %j to %j', (label, expected) => {
    expect(canonicalCharset(label)).toBe(expected);
  });
});
