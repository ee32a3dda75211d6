import { Parser } from 'htmlparser2';

/** A feed a web page announces. */
export interface DiscoveredFeed {
  url: string;
  type: string;
  title?: string;
}

const FEED_TYPES = new Set(['application/rss+xml', 'application/atom+xml', 'application/feed+json', 'application/rdf+xml', 'application/json']);

/**
 * The feeds an HTML page links with <link rel="alternate" type="application/rss+xml" href="…"> (RSS
 * autodiscovery, and the same for Atom and JSON Feed), in document order, resolved against the page URL or
 * its <base href>. Parsed with htmlparser2, which reads broken real-world HTML the way browsers do.
 */
export function discoverFeeds(html: string, pageUrl: string): DiscoveredFeed[] {
  const found: DiscoveredFeed[] = [];
  const raw: { href: string; type: string; title?: string }[] = [];
  let base = pageUrl;
  let sawBase = false;
  const parser = new Parser({
    onopentag(name, attrs) {
      if (name === 'base' && !sawBase && attrs.href) {
        sawBase = true;
        base = resolve(attrs.href, pageUrl) ?? pageUrl;
      }
      if (name !== 'link' || !attrs.href) return;
      const rels = (attrs.rel ?? '').toLowerCase().split(/\s+/);
      const type = (attrs.type ?? '').toLowerCase().split(';')[0]!.trim();
      if (!rels.includes('alternate') || !FEED_TYPES.has(type)) return;
      raw.push({ href: attrs.href.trim(), type, ...(attrs.title ? { title: attrs.title.trim() } : {}) });
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.end(html);
  for (const link of raw) {
    const url = resolve(link.href, base);
    if (url && !found.some((f) => f.url === url)) found.push({ url, type: link.type, ...(link.title ? { title: link.title } : {}) });
  }
  return found;
}

function resolve(href: string, base: string): string | undefined {
  try {
    const url = new URL(href, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
