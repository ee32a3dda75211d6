import { readFileSync } from 'node:fs';

/**
 * Where Atom and RSS feeds point browsers for their stylesheet. A path, not a URL: browsers apply XSLT only
 * from the feed's own origin, which need not be the configured baseUrl (a proxy, a test on another port).
 */
export const FEED_STYLESHEET_PATH = '/feeds/style.xsl';

/** The XSL stylesheet itself, read once at start from beside this module. */
export function feedStylesheet(): string {
  return readFileSync(new URL('./feed-style.xsl', import.meta.url), 'utf8');
}
