// The encoding family a document's first bytes announce, before any label is read: a byte order mark, or the
// bytes of its first "<" (XML 1.0 Appendix F). A label ("encoding=", HTTP charset) can only be read once the
// family is known, and no ASCII-compatible label can be right for bytes that start with NULs.

export interface ByteOrder {
  charset: 'utf-8' | 'utf-16be' | 'utf-16le' | 'utf-32be' | 'utf-32le';
  /** a byte order mark, or the shape of the first "<" without one */
  from: 'bom' | 'prolog';
}

/**
 * The family from the first four bytes. UTF-32 is tested before UTF-16: the UTF-32LE mark FF FE 00 00 begins
 * with the UTF-16LE mark FF FE. Without a mark, where the NULs stand around the first ASCII characters tells the
 * width and the byte order: Appendix F lists "<?"; a feed without an XML declaration starts "<rss" or "<feed",
 * or with a line break, read the same way. Text in an ASCII-compatible encoding has no NUL there.
 * The unusual octet orders 2143 and 3412 and EBCDIC are not read: iconv-lite has no decoder for them.
 */
export function byteOrderOf(buf: Uint8Array): ByteOrder | undefined {
  const [b0, b1, b2, b3] = [buf[0], buf[1], buf[2], buf[3]];
  if (b0 === 0x00 && b1 === 0x00 && b2 === 0xfe && b3 === 0xff) return { charset: 'utf-32be', from: 'bom' };
  if (b0 === 0xff && b1 === 0xfe && b2 === 0x00 && b3 === 0x00) return { charset: 'utf-32le', from: 'bom' };
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return { charset: 'utf-8', from: 'bom' };
  if (b0 === 0xfe && b1 === 0xff) return { charset: 'utf-16be', from: 'bom' };
  if (b0 === 0xff && b1 === 0xfe) return { charset: 'utf-16le', from: 'bom' };
  if (buf.length < 4) return undefined;
  if (b0 === 0x00 && b1 === 0x00 && b2 === 0x00 && isAscii(b3)) return { charset: 'utf-32be', from: 'prolog' };
  if (isAscii(b0) && b1 === 0x00 && b2 === 0x00 && b3 === 0x00) return { charset: 'utf-32le', from: 'prolog' };
  if (b0 === 0x00 && isAscii(b1) && b2 === 0x00 && isAscii(b3)) return { charset: 'utf-16be', from: 'prolog' };
  if (isAscii(b0) && b1 === 0x00 && isAscii(b2) && b3 === 0x00) return { charset: 'utf-16le', from: 'prolog' };
  return undefined;
}

function isAscii(byte: number | undefined): boolean {
  return byte !== undefined && byte > 0x00 && byte < 0x80;
}
