// Ids for sources that come without one (OPML outlines). Stored items refer to a source by id, so the same
// title and URL must always give the same id.

/** Long enough to read, short enough that a "-12" suffix stays within the 64-character limit. */
const MAX_BASE = 48;

/** Path segments that say nothing about which feed it is. */
const GENERIC_SEGMENT = /^(feed|feeds|rss|rss2|atom|index|xml|default|all|posts|blog-feed)$/;

/**
 * From the title when it is mostly Latin script ("Hacker News" -> hacker-news); otherwise from the URL
 * ("少数派", https://sspai.com/feed -> sspai-com), since a slug of a Chinese title would be empty or a
 * meaningless fragment like "36" for 36氪.
 */
export function deriveSourceId(title: string | undefined, url: string): string {
  const fromTitle = title ? slug(title) : '';
  if (fromTitle.replace(/-/g, '').length >= 3 && isMostlyLatin(title!)) return fromTitle;
  return slug(urlWords(url)) || 'source';
}

/** `base`, or `base-2`, `base-3`, … whichever is not taken yet; records the result as taken. */
export function claimId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

function slug(text: string): string {
  const words = text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (words.length <= MAX_BASE) return words;
  const cut = words.slice(0, MAX_BASE);
  const boundary = cut.lastIndexOf('-');
  return (boundary > 10 ? cut.slice(0, boundary) : cut).replace(/-+$/, '');
}

function isMostlyLatin(text: string): boolean {
  const latin = (text.match(/[A-Za-z]/g) ?? []).length;
  const other = (text.match(/[^\p{Script=Latin}\P{L}]/gu) ?? []).length;
  return latin >= other;
}

function urlWords(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return url;
  }
  const host = parsed.hostname.replace(/^(www|feeds?|rss)\./, '');
  const segments = parsed.pathname.split('/')
    .map((s) => decodeSegment(s).replace(/\.(xml|rss|atom|php|html?|json)$/i, ''))
    .filter((s) => s !== '' && !GENERIC_SEGMENT.test(s.toLowerCase()));
  return [host, ...segments].join(' ');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
