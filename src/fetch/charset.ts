import iconv from 'iconv-lite';

export interface CharsetHints {
  /** Content-Type header of the response */
  contentType?: string | null;
  /** per-source override from the config */
  override?: string;
}

export interface DecodedText {
  text: string;
  /** the label that was used, normalised */
  charset: string;
  /** where it came from */
  from: 'bom' | 'http' | 'xml' | 'override' | 'default';
}

/**
 * Bytes to text in the order feeds need: BOM, HTTP charset, XML declaration, override, UTF-8.
 * Labels iconv-lite does not know are skipped, so a typo in a server header falls through to the next hint.
 */
export function decodeBody(bytes: Uint8Array, hints: CharsetHints = {}): DecodedText {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = bomCharset(buf);
  if (bom) return { text: iconv.decode(buf, bom), charset: bom, from: 'bom' };
  const candidates: [string | undefined, DecodedText['from']][] = [
    [httpCharset(hints.contentType), 'http'],
    [xmlDeclaredCharset(buf), 'xml'],
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
  const match = contentType?.match(/charset\s*=\s*"?([^";,\s]+)/i);
  return match?.[1];
}

/** encoding="…" of an ASCII-compatible XML declaration; read from the first bytes only. */
export function xmlDeclaredCharset(buf: Buffer): string | undefined {
  const head = buf.subarray(0, 512).toString('latin1');
  const match = head.match(/^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/);
  return match?.[1];
}

/**
 * Normalises a label to one iconv-lite decodes, or undefined when unknown.
 * GB2312 and GBK are read as GB18030: real "GB2312" feeds carry GBK-only characters, and GB18030 is a superset of both.
 */
export function canonicalCharset(label: string): string | undefined {
  const name = label.trim().toLowerCase();
  if (['gb2312', 'gbk', 'gb_2312-80', 'x-gbk', 'cp936', 'euc-cn', 'gb18030', 'csgb2312', 'windows-936'].includes(name)) {
    return 'gb18030';
  }
  if (name === 'big5-hkscs') return 'big5hkscs';
  if (name === 'iso-8859-1' || name === 'latin1' || name === 'us-ascii' || name === 'ascii') {
    // WHATWG: these labels mean windows-1252 on the web, and news sites rely on it for curly quotes.
    return 'windows-1252';
  }
  return iconv.encodingExists(name) ? name : undefined;
}
