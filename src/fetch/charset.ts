import iconv from 'iconv-lite';
import { metaCharset } from './meta-charset.ts';

export interface CharsetHints {
  /** Content-Type header of the response */
  contentType?: string | null;
  /** per-source override from the config */
  override?: string;
  /** what the body should be: a feed declares its charset in the XML declaration, a web page in a <meta> */
  document?: 'feed' | 'html';
}

export interface DecodedText {
  text: string;
  /** the label that was used, normalised */
  charset: string;
  /** where it came from */
  from: 'bom' | 'http' | 'xml' | 'meta' | 'override' | 'default';
}

/**
 * Bytes to text in the order feeds need: BOM, HTTP charset, XML declaration, override, UTF-8. A web page
 * (document: 'html') has a <meta> charset where a feed has its XML declaration, found as browsers find it.
 * Labels iconv-lite does not know are skipped, so a typo in a server header falls through to the next hint.
 * Invalid byte sequences become U+FFFD where they stand: the multi-byte decoders resynchronise on the next
 * ASCII byte, so one bad character costs that character, never the markup after it.
 */
export function decodeBody(bytes: Uint8Array, hints: CharsetHints = {}): DecodedText {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = bomCharset(buf);
  if (bom) return { text: iconv.decode(buf, bom), charset: bom, from: 'bom' };
  const candidates: [string | undefined, DecodedText['from']][] = [
    [httpCharset(hints.contentType), 'http'],
    hints.document === 'html' ? [pageCharset(buf), 'meta'] : [asciiCompatible(xmlDeclaredCharset(buf)), 'xml'],
    [hints.override, 'override'],
  ];
  for (const [label, from] of candidates) {
    const charset = label === undefined ? undefined : canonicalCharset(label);
    if (charset) return { text: iconv.decode(buf, charset), charset, from };
  }
  return { text: iconv.decode(buf, 'utf-8'), charset: 'utf-8', from: 'default' };
}

function bomCharset(buf: Buffer): string | undefined {
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return 'utf-8';
  if (buf[0] === 0xfe && buf[1] === 0xff) return 'utf-16be';
  if (buf[0] === 0xff && buf[1] === 0xfe) return 'utf-16le';
  return undefined;
}

export function httpCharset(contentType: string | null | undefined): string | undefined {
  const match = contentType?.match(/charset\s*=\s*["']?([^"';,\s]+)/i);
  return match?.[1];
}

/** encoding="…" of an ASCII-compatible XML declaration; read from the first bytes only. */
export function xmlDeclaredCharset(buf: Buffer): string | undefined {
  const head = buf.subarray(0, 512).toString('latin1');
  const match = head.match(/^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/);
  return match?.[1];
}

/**
 * A declaration we could read as ASCII cannot be UTF-16 (that would have needed a BOM); such a label is a
 * copy-paste error in the feed's template, and the bytes are in fact ASCII-compatible (the HTML standard
 * treats a UTF-16 <meta charset> the same way).
 */
function asciiCompatible(label: string | undefined): string | undefined {
  return label && /^utf-?16/i.test(label.trim()) ? 'utf-8' : label;
}

/** A page's <meta> label as the HTML standard reads it after the prescan (§13.2.3.2, step "get an attribute"). */
function pageCharset(buf: Buffer): string | undefined {
  const label = metaCharset(buf);
  if (label?.trim().toLowerCase() === 'x-user-defined') return 'windows-1252';
  return asciiCompatible(label);
}

// Labels as the WHATWG Encoding Standard reads them: browsers decode the web this way and publishers test
// their feeds in browsers, so each label means its superset (ISO-8859-1 is windows-1252, EUC-KR is
// windows-949, Shift_JIS is windows-31j, Big5 is Big5-HKSCS).
const SUPERSETS: [string, string[]][] = [
  // Real "GB2312" feeds carry GBK-only characters (喆, 堃, 镕), and GB18030 is a superset of both.
  ['gb18030', ['gb2312', 'gbk', 'gb_2312', 'gb_2312-80', 'x-gbk', 'cp936', 'ms936', 'euc-cn', 'gb18030', 'csgb2312', 'windows-936', 'chinese', 'iso-ir-58', 'csiso58gb231280']],
  ['big5hkscs', ['big5', 'big5-hkscs', 'cn-big5', 'x-x-big5', 'csbig5', 'cp950']],
  ['cp932', ['shift_jis', 'shift-jis', 'sjis', 'x-sjis', 'ms_kanji', 'ms932', 'windows-31j', 'csshiftjis', 'cp932']],
  ['cp949', ['euc-kr', 'ks_c_5601-1987', 'ks_c_5601-1989', 'ksc5601', 'ksc_5601', 'korean', 'cseuckr', 'windows-949', 'cp949', 'iso-ir-149']],
  ['windows-1252', ['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'l1', 'us-ascii', 'ascii', 'ansi_x3.4-1968', 'cp1252', 'cp819', 'windows-1252', 'x-cp1252']],
  ['windows-1254', ['iso-8859-9', 'iso8859-9', 'iso_8859-9', 'latin5', 'l5']],
  ['windows-874', ['tis-620', 'iso-8859-11', 'iso8859-11', 'dos-874']],
  ['macintosh', ['x-mac-roman', 'mac', 'csmacintosh']],
  ['utf-8', ['utf8', 'unicode-1-1-utf-8', 'x-unicode20utf8']],
];
const CANONICAL = new Map(SUPERSETS.flatMap(([charset, labels]) => labels.map((label): [string, string] => [label, charset])));

/** Normalises a label to one iconv-lite decodes, or undefined when unknown. */
export function canonicalCharset(label: string): string | undefined {
  const name = label.trim().toLowerCase();
  const known = CANONICAL.get(name);
  if (known) return known;
  return iconv.encodingExists(name) ? name : undefined;
}
