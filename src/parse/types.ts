export interface RawEnclosure {
  url: string;
  type?: string;
  length?: number;
}

export interface RawAuthor {
  name?: string;
  email?: string;
  uri?: string;
}

/**
 * An item as the source sent it: strings untouched but for XML decoding, so normalize/ decides what they mean.
 * summary and content are always HTML (plain-text forms such as Atom type="text" are escaped here).
 */
export interface RawItem {
  guid?: string;
  /** RSS guid isPermaLink (default true in RSS 2.0 when a guid is present) */
  guidIsPermaLink?: boolean;
  title?: string;
  /** true when the title is HTML (Atom type="html"/"xhtml"); RSS titles are text that often carries entities */
  titleIsHtml?: boolean;
  link?: string;
  /** raw date strings as found; normalize/dates reads them */
  published?: string;
  updated?: string;
  summary?: string;
  content?: string;
  author?: RawAuthor;
  categories: string[];
  enclosures: RawEnclosure[];
  /** language tag as declared (xml:lang, dc:language, <language>, JSON Feed language), inherited from the feed */
  language?: string;
  /**
   * Base URLs from xml:base, absolute, only where the document declares one (else the feed URL applies):
   * for the item's own URLs (link, enclosures), and for the link, summary and content elements when they differ.
   */
  base?: string;
  linkBase?: string;
  summaryBase?: string;
  contentBase?: string;
}

export interface ParsedFeed {
  /** html: a web page read through a source's CSS selectors (parse/html-page.ts) */
  format: 'rss' | 'atom' | 'rdf' | 'json' | 'html';
  /** as written, like an item's title: normalize/ makes plain text of it (feedTitleOf) */
  title?: string;
  /** true when the title is HTML (Atom type="html"/"xhtml", base64 HTML, elements inside an RSS <title>) */
  titleIsHtml?: boolean;
  /** the feed's home page */
  link?: string;
  /** the URL the feed names as its own (Atom rel="self", atom:link in RSS, JSON Feed feed_url), when absolute */
  selfUrl?: string;
  language?: string;
  /** the feed's logo or icon URL as written (RSS <image><url>, Atom <logo>/<icon>, JSON Feed icon/favicon) */
  image?: string;
  /** how often the feed says it changes: RSS <ttl> (minutes), sy:updatePeriod and sy:updateFrequency */
  ttl?: number;
  updatePeriod?: string;
  updateFrequency?: number;
  /**
   * what the operator should know of how this document was read (a cut-off document read up to its last complete
   * item; read-document.ts adds date zones read as the source's): recorded on the source, shown in /status
   */
  warnings?: string[];
  items: RawItem[];
}
