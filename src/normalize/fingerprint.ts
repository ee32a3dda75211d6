// A story syndicated by several sites often carries no shared link, only the same title with different
// punctuation: full-width "：" on one portal, ":" on another, a space more here, a quote style there.

/** Below this weight (CJK characters count two) a title is too generic ("Update", "快讯") to identify a story. */
const MIN_WEIGHT = 10;
const NOISE = /[\p{P}\p{Z}\p{Cc}\p{Cf}\s]+/gu;
const WIDE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * The title reduced to what two sources agree on: NFKC (full-width and half-width forms alike), lower case,
 * without punctuation or spaces. undefined when too short to tell stories apart.
 */
export function titleFingerprint(title: string): string | undefined {
  const reduced = title.normalize('NFKC').toLowerCase().replace(NOISE, '');
  let weight = 0;
  for (const char of reduced) weight += WIDE.test(char) ? 2 : 1;
  return weight >= MIN_WEIGHT ? reduced : undefined;
}
