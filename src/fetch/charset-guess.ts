// A statistical guess at the charset of a document that names none and is not UTF-8: Chinese portals serve GBK
// with neither an HTTP charset nor an XML declaration, and read as UTF-8 every title would become U+FFFD.
import { analyse } from 'chardet';

export interface CharsetGuess {
  /** the detector's name for it (GB18030, Big5, Shift_JIS, EUC-KR, windows-1252, …) */
  label: string;
  /** the detector's confidence, 0–100 */
  confidence: number;
}

/**
 * The detector looks at this much of the body: a feed's first 64 KiB hold dozens of titles, which is what the
 * multi-byte recognisers need, and a 10 MB body must not cost ten megabytes of statistics on the fetching thread.
 */
export const GUESS_SAMPLE_BYTES = 64 * 1024;

// Names the byte-order check has already ruled out (a BOM or NULs would have been seen), or that would say
// nothing more than the UTF-8 reading that failed.
const NOT_A_GUESS = new Set(['UTF-8', 'ASCII', 'UTF-16BE', 'UTF-16LE', 'UTF-32', 'UTF-32BE', 'UTF-32LE', 'mbcs', 'sbcs']);

/**
 * chardet's best guess that `isReadable` accepts (a label iconv-lite decodes), or undefined. chardet (ICU's
 * recognisers in TypeScript, no dependencies) was chosen over jschardet: both read GBK, GB18030, Big5,
 * Shift_JIS and EUC-KR feeds right, but on short Western documents jschardet says MacLatin2 where the bytes are
 * windows-1252 (the other undeclared charset met in the wild: smart quotes pasted from Word).
 */
export function guessCharset(buf: Uint8Array, isReadable: (label: string) => boolean): CharsetGuess | undefined {
  const sample = buf.byteLength > GUESS_SAMPLE_BYTES ? buf.subarray(0, GUESS_SAMPLE_BYTES) : buf;
  for (const match of analyse(sample)) {
    if (match.confidence <= 0 || NOT_A_GUESS.has(match.name) || !isReadable(match.name)) continue;
    return { label: match.name, confidence: match.confidence };
  }
  return undefined;
}
