// The charset a web page declares in its markup, found the way browsers find it before parsing: the WHATWG
// HTML standard's "prescan a byte stream to determine its encoding" (§13.2.3.2) over the first 1024 bytes. A page
// is tested in browsers, so whatever they read is what its author meant; a <meta> further down is ignored by
// them too. The scan works on bytes read as latin1: every ASCII-compatible charset spells markup the same.

/** How far browsers look for a <meta> charset. */
export const PRESCAN_BYTES = 1024;

/** The label of the first <meta charset> or <meta http-equiv="Content-Type" content="…charset=…">, if any. */
export function metaCharset(buf: Uint8Array): string | undefined {
  const text = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.byteLength, PRESCAN_BYTES)).toString('latin1');
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('<!--', i)) {
      // The comment's "-->" may share its dashes with "<!--" ("<!-->" ends it), as in the standard.
      const end = text.indexOf('-->', i + 2);
      if (end < 0) return undefined;
      i = end + 3;
    } else if (/^<meta[\s/]/i.test(text.slice(i, i + 6))) {
      const { attributes, next } = readAttributes(text, i + 5);
      const label = charsetOf(attributes);
      if (label) return label;
      i = next;
    } else if (/^<\/?[a-z]/i.test(text.slice(i, i + 3))) {
      // Any other tag: its attributes are skipped whole, so a ">" or "<meta" inside a quoted value is no markup.
      const start = text[i + 1] === '/' ? i + 2 : i + 1;
      let name = start;
      while (name < text.length && !/[\s/>]/.test(text[name]!)) name++;
      i = readAttributes(text, name).next;
    } else if (text.startsWith('<!', i) || text.startsWith('</', i) || text.startsWith('<?', i)) {
      const end = text.indexOf('>', i + 2);
      if (end < 0) return undefined;
      i = end + 1;
    } else i++;
  }
  return undefined;
}

interface Attributes {
  attributes: Map<string, string>;
  /** where scanning continues, after the tag's ">" */
  next: number;
}

/** The tag's attributes from `at` to its ">"; the first of a repeated name wins. */
function readAttributes(text: string, at: number): Attributes {
  const attributes = new Map<string, string>();
  let i = at;
  const skipSpace = () => {
    while (i < text.length && /[\s/]/.test(text[i]!)) i++;
  };
  for (;;) {
    skipSpace();
    if (i >= text.length) return { attributes, next: i };
    if (text[i] === '>') return { attributes, next: i + 1 };
    let name = '';
    while (i < text.length && !/[\s/>=]/.test(text[i]!)) name += text[i++]!.toLowerCase();
    while (i < text.length && /\s/.test(text[i]!)) i++;
    let value = '';
    if (text[i] === '=') {
      i++;
      while (i < text.length && /\s/.test(text[i]!)) i++;
      const quote = text[i];
      if (quote === '"' || quote === "'") {
        const end = text.indexOf(quote, i + 1);
        if (end < 0) return { attributes, next: text.length };
        value = text.slice(i + 1, end);
        i = end + 1;
      } else {
        while (i < text.length && !/[\s>]/.test(text[i]!)) value += text[i++]!;
      }
    }
    if (name && !attributes.has(name)) attributes.set(name, value);
  }
}

/** The standard's rules: charset wins; http-equiv needs content naming a charset. */
function charsetOf(attributes: Map<string, string>): string | undefined {
  const charset = attributes.get('charset')?.trim();
  if (charset) return charset;
  if (attributes.get('http-equiv')?.trim().toLowerCase() !== 'content-type') return undefined;
  const content = attributes.get('content');
  const match = content?.match(/charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))/i);
  const label = match?.[1] ?? match?.[2] ?? match?.[3];
  return label?.trim() || undefined;
}
