// Reading the objects xml2js (inside rss-parser) builds: every child is an array; an element is a string when
// it has only text, {_: text, $: attributes} when it has attributes, and an object of children otherwise.

export type XmlNode = { _?: string; $?: Record<string, string>; [child: string]: unknown };

export function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of an element: its string, or its "_" when it has attributes. */
export function textOf(node: unknown): string | undefined {
  if (typeof node === 'string') return node;
  if (isNode(node) && typeof node._ === 'string') return node._;
  return undefined;
}

export function attrOf(node: unknown, name: string): string | undefined {
  const value = isNode(node) ? node.$?.[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Every child element of that name, in document order. */
export function childrenOf(node: unknown, name: string): unknown[] {
  const value = isNode(node) ? node[name] : undefined;
  return Array.isArray(value) ? value : [];
}

export function childOf(node: unknown, name: string): unknown {
  return childrenOf(node, name)[0];
}

/** Trimmed text of the first of `names` that has any. */
export function childText(node: unknown, ...names: string[]): string | undefined {
  for (const name of names) {
    for (const child of childrenOf(node, name)) {
      const text = textOf(child)?.trim();
      if (text) return text;
    }
  }
  return undefined;
}

/**
 * The base URL in effect inside an element (XML Base, nested per element): its xml:base resolved against the
 * base in effect outside it, or against the document's URL when none was declared further out.
 * undefined while no element up to here declared one.
 */
export function xmlBaseOf(value: string | undefined, inherited: string | undefined, documentUrl: string | undefined): string | undefined {
  const declared = value?.trim();
  if (!declared) return inherited;
  try {
    return new URL(declared, inherited ?? documentUrl).href;
  } catch {
    return inherited;
  }
}

/** The base in effect inside `node`, given the one outside it. */
export function baseInside(node: unknown, inherited: string | undefined, documentUrl: string | undefined): string | undefined {
  return xmlBaseOf(attrOf(node, 'xml:base'), inherited, documentUrl);
}
