import iconv from 'iconv-lite';
import { isUtf8 } from 'node:buffer';
import { byteOrderOf } from './byte-order.ts';
import { withWindows1252ForC1 } from './c1-controls.ts';
import { guessCharset } from './charset-guess.ts';
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
  /** where it came from: 'prolog' is the byte shape of a BOM-less UTF-16/32 document, 'guess' the detector's */
  from: 'bom' | 'prolog' | 'http' | 'xml' | 'meta' | 'override' | 'guess' | 'default';
  /** set when from is 'guess': the detector's name for the charset (GB18030, Big5, …), a label `encoding:` takes */
  guessedLabel?: string;
  /** set when from is 'guess': the detector's confidence, 0–100 */
  confidence?: number;
}

/**
 * Bytes to text in the order feeds need: BOM, the byte shape of UTF-16/32 (XML 1.0 Appendix F), HTTP charset,
 * XML declaration, override, UTF-8, and for bytes that are not UTF-8 and declare nothing, a statistical guess.
 * A web page (document: 'html') has a <meta> charset where a feed has its XML declaration, found as browsers
 * find it. Labels iconv-lite does not know are skipped, so a typo in a server header falls through to the next
 * hint. Invalid byte sequences become U+FFFD where they stand: the multi-byte decoders resynchronise on the next
 * ASCII byte, so one bad character costs that character, never the markup after it.
 */
export function decodeBody(bytes: Uint8Array, hints: CharsetHints = {}): DecodedText {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const order = byteOrderOf(buf);
  if (order) return decodedAs(buf, order.charset, order.from);
  const candidates: [string | undefined, DecodedText['from']][] = [
    [httpCharset(hints.contentType), 'http'],
    hints.document === 'html' ? [pageCharset(buf), 'meta'] : [asciiCompatible(xmlDeclaredCharset(buf)), 'xml'],
    [hints.override, 'override'],
  ];
  for (const [label, from] of candidates) {
    const charset = label === undefined ? undefined : canonicalCharset(label);
    if (charset) return decodedAs(buf, charset, from);
  }
  // Nothing readable was declared. UTF-8 is the default; bytes that are not UTF-8 would come out as U+FFFD,
  // so a detector names the likeliest charset instead (logged once per source with a hint to set encoding:).
  const utf8 = decodedAs(buf, 'utf-8', 'default');
  if (isUtf8(buf) || !isMostlyReplaced(utf8.text)) return utf8;
  const guess = guessCharset(buf, (label) => canonicalCharset(label) !== undefined);
  return guess ? { ...decodedAs(buf, canonicalCharset(guess.label)!, 'guess'), guessedLabel: guess.label, confidence: guess.confidence } : utf8;
}

/**
 * Whether a UTF-8 reading lost more non-ASCII characters than it read. A UTF-8 feed with one stray byte (a
 * title cut mid-character by the CMS) stays UTF-8 with one U+FFFD: a detector, which sees only invalid UTF-8,
 * would turn all its other text into mojibake. GBK or windows-1252 bytes almost never form valid UTF-8.
 */
function isMostlyReplaced(text: string): boolean {
  let replaced = 0;
  let read = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0xfffd) replaced++;
    else if (code > 0x7f) read++;
  }
  return replaced > read;
}

function decodedAs(buf: Buffer, charset: string, from: DecodedText['from']): DecodedText {
  const text = iconv.decode(buf, charset);
  // Only UTF-8 can carry C1 controls that were meant as windows-1252 (an ISO-8859-1 label already decodes as
  // windows-1252); other charsets have their own characters at those bytes.
  return { text: charset === 'utf-8' ? withWindows1252ForC1(text) : text, charset, from };
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
 * A declaration we could read as ASCII cannot be UTF-16 or UTF-32 (byteOrderOf would have seen its NULs);
 * such a label is a copy-paste error in the feed's template, and the bytes are in fact ASCII-compatible (the
 * HTML standard treats a UTF-16 <meta charset> the same way).
 */
function asciiCompatible(label: string | undefined): string | undefined {
  return label && /^(utf-?16|utf-?32|ucs-?[24])/i.test(label.trim()) ? 'utf-8' : label;
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
