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
  /** title reduced to what syndicating sources agree on (normalize/fingerprint.ts); cross-source dedupe key */
  fingerprint?: string;
  published: string;
  updated: string;
  firstSeen: string;
  summary?: string;
  content?: string;
  author?: Author;
  categories: string[];
  enclosures: Enclosure[];
  /** BCP 47 language tag of the item, as declared by it or inherited from its feed */
  language?: string;
  /** other sources that carried the same story */
  alsoIn: string[];
  /** hash of the fields a reader sees; a change of it is an update */
  hash: string;
  /** the source gave no usable date: published is the time first seen, and stays so */
  undated?: true;
}

/** What the store remembers about each source between fetches. */
export interface SourceState {
  id: string;
  /** feed's own title and home page, from the last successful parse */
  feedTitle?: string;
  feedLink?: string;
  lastFetch?: string;
  lastSuccess?: string;
  httpStatus?: number;
  etag?: string;
  lastModified?: string;
  itemsSeen?: number;
  consecutiveFailures: number;
  lastError?: string;
}
