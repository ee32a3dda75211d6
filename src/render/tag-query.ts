// Composed tag feeds: /feeds/tags/ai+china (items carrying both), /feeds/tags/ai,finance (either).
// "+" binds tighter than ",": a+b,c reads (a and b) or c. Config tags cannot contain either character.
// In a URL path "+" is a literal plus (only form-encoded query strings read it as a space).

/** Alternatives (any may hold), each a set of tags that must all be present. */
export interface TagQuery {
  anyOf: readonly (readonly string[])[];
  /** the same query written in one order: equal queries have equal keys */
  key: string;
}

/** More terms than this is no editor's feed; the cap bounds what one request can make the server scan. */
export const MAX_QUERY_TERMS = 8;

/** Parses a composed tag name; undefined for a plain tag, a malformed query or one over the cap. */
export function parseTagQuery(name: string): TagQuery | undefined {
  if (!/[+,]/.test(name)) return undefined;
  const anyOf: string[][] = [];
  let terms = 0;
  for (const alternative of name.split(',')) {
    const tags = alternative.split('+');
    if (tags.some((t) => t === '' || t !== t.trim())) return undefined;
    terms += tags.length;
    anyOf.push([...new Set(tags)].sort(byCodePoint));
  }
  if (terms > MAX_QUERY_TERMS) return undefined;
  const unique = [...new Map(anyOf.map((all) => [all.join('+'), all])).values()].sort((a, b) => byCodePoint(a.join('+'), b.join('+')));
  // a+a or a,a is the plain tag a, which has its own feed.
  if (unique.length === 1 && unique[0]!.length === 1) return undefined;
  return { anyOf: unique, key: unique.map((all) => all.join('+')).join(',') };
}

export function queryTags(query: TagQuery): string[] {
  return [...new Set(query.anyOf.flat())];
}

export function matchesTagQuery(tags: readonly string[], query: TagQuery): boolean {
  return query.anyOf.some((all) => all.every((tag) => tags.includes(tag)));
}

/** "ai and china", "ai or finance", "(ai and china) or finance", for titles. */
export function describeTagQuery(query: TagQuery): string {
  const many = query.anyOf.length > 1;
  return query.anyOf.map((all) => (all.length > 1 && many ? `(${all.join(' and ')})` : all.join(' and '))).join(' or ');
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
