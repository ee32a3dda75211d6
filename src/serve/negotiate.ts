/**
 * A browser opening a feed's URL: it asks for HTML first and names no feed type. Readers name feed types or
 * send * / *. Browsers download application/atom+xml and application/rss+xml instead of showing them, so
 * they get the same bytes as application/xml, which they render through the feed's XSL stylesheet.
 */
export function isBrowserNavigation(accept: string | undefined): boolean {
  if (!accept) return false;
  const lower = accept.toLowerCase();
  return lower.includes('text/html') && !/application\/(atom\+xml|rss\+xml|feed\+json)/.test(lower);
}

export const BROWSER_XML_TYPE = 'application/xml; charset=utf-8';
