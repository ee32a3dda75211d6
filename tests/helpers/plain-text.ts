// Test items and specs are written as literals; their text fields must still be PlainText, made by the one gate.
import type { PlainText } from '../../src/model.ts';
import { toPlainText } from '../../src/normalize/plain-text.ts';

/** A literal title, author or category as normalize would store it. */
export function plain(text: string): PlainText {
  return toPlainText(text, 'plain');
}
