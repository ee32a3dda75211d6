// Records shared by the stages from normalize on. Plain data: JSON-serialisable, no methods.

export interface Author {
  name?: string;
  email?: string;
  uri?: string;
}

export interface Enclosure {
  url: string;
  type?: string;
  length?: number;
}

/** One story as stored and served. Dates are ISO 8601 strings in UTC. */
export interface Item {
  /** permanent output id (an absolute IRI); fixed when first stored */
  id: string;
  /** the source that first carried it */
  sourceId: string;
  /** dedupe key within the source: g:<guid> | l:<canonical link> | h:<hash of title+date> */
  key: string;
  title: string;
  link: string;
  /** link with case, default port, fragment and tracking parameters normalised; cross-source dedupe key */
  canonicalLink?: string;
  published: string;
  updated: string;
  firstSeen: string;
  summary?: string;
  content?: string;
  author?: Author;
  categories: string[];
  enclosures: Enclosure[];
  /** other sources that carried the same story */
  alsoIn: string[];
  /** hash of the fields a reader sees; a change of it is an update */
  hash: string;
  /** the source gave no usable date: published is the time first seen, and stays so */
  undated?: true;
  /** the item's language (RFC 5646 tag), when the item or its feed names one */
  language?: string;
}

/** What the store remembers about each source between fetches. */
export interface SourceState {
  id: string;
  /** feed's own title and home page, from the last successful parse */
  feedTitle?: string;
  feedLink?: string;
  /** the feed's logo or icon URL, when it names one; shown on the per-source output feed */
  feedImage?: string;
  lastFetch?: string;
  lastSuccess?: string;
  httpStatus?: number;
  etag?: string;
  lastModified?: string;
  itemsSeen?: number;
  consecutiveFailures: number;
  lastError?: string;
}
