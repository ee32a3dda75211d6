// C1 control characters (U+0080–U+009F) in feed text are windows-1252 bytes that went through an ISO-8859-1 or
// UTF-8 label: "don\x92t" was written as "don’t". HTML parsers map them back (the HTML standard's numeric
// character reference table, which is windows-1252's), and so do we, with the table the `entities` package keeps.
import { replaceCodePoint } from 'entities/decode';

const HAS_C1 = /[\u0080-\u009f]/;
const C1 = /[\u0080-\u009f]/g;

/** The text with each C1 control read as the windows-1252 character of that byte (five bytes have none: kept). */
export function withWindows1252ForC1(text: string): string {
  if (!HAS_C1.test(text)) return text;
  return text.replace(C1, (c) => String.fromCodePoint(replaceCodePoint(c.charCodeAt(0))));
}
