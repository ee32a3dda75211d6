/** One piece of an item's text as rules see it. */
export interface MatchField {
  /** where it comes from, for explanations */
  name: 'title' | 'summary' | 'category';
  /** NFKC-normalized: full-width letters and digits read as half-width; regexes run on this */
  text: string;
  /** text case-folded as well; keywords are searched in this */
  folded: string;
}

/**
 * NFKC, then case folding, so ＡＩ, ai and AI are one keyword, and so are full-width and half-width digits
 * and punctuation in Chinese text. Upper-casing first folds ß to ss and similar one-to-many letters.
 */
export function foldText(text: string): string {
  return text.normalize('NFKC').toUpperCase().toLowerCase();
}

export function matchField(name: MatchField['name'], raw: string): MatchField {
  const text = raw.normalize('NFKC');
  return { name, text, folded: text.toUpperCase().toLowerCase() };
}
