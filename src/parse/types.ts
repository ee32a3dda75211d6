/** An item as the source sent it: strings untouched but for XML decoding. normalize/ makes Items of these. */
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
  author?: { name?: string; email?: string; uri?: string };
  categories: string[];
  enclosures: { url: string; type?: string; length?: number }[];
}

export interface ParsedFeed {
  format: 'rss' | 'atom' | 'rdf' | 'json';
  title?: string;
  link?: string;
  language?: string;
  /** the feed's logo or icon URL as written (RSS <image><url>, Atom <logo>/<icon>, JSON Feed icon/favicon) */
  image?: string;
  items: RawItem[];
}
