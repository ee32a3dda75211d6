// Records shared by the stages from normalize on. Plain data: JSON-serialisable, no methods.

declare const plain: unique symbol;

/**
 * Text a reader shows as it is: no markup, entities already decoded, no control characters, spaces collapsed.
 * Made only by toPlainText (normalize/plain-text.ts), the one gate every title, author name and category
 * label crosses, from a feed, a config file, an OPML file or the store; renderers take nothing else for those
 * fields, and each writes it as text in its format (render/xml-text.ts htmlText for RSS's HTML-ish elements).
 */
export type PlainText = string & { readonly [plain]: true };

export interface Author {
  name?: PlainText;
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
  title: PlainText;
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
  categories: PlainText[];
  enclosures: Enclosure[];
  /** BCP 47 language tag of the item, as declared by it or inherited from its feed */
  language?: string;
  /** other sources that carried the same story */
  alsoIn: string[];
  /** hash of the fields a reader sees; a change of it is an update */
  hash: string;
  /** the source gave no usable date: published is the time first seen, and stays so */
  undated?: true;
  /** the source gave a relative date ("3分钟前"): read once against the first fetch, then kept like an undated one */
  relativeDate?: true;
  /** for a source with fullText: what became of the item's page; absent until it was fetched (src/fulltext/) */
  fullText?: FullTextRecord;
}

/**
 * An item page's extraction, kept with the item so the page is fetched once per item. While `status` is ok the
 * item's content is the page's article and `hash` covers it; `feedHash` is the hash of the item as its feed gives
 * it, which dedupe compares the feed's next copies with (dedupe/merge.ts).
 */
export interface FullTextRecord {
  status: 'ok' | 'failed';
  /** the link whose page was read: another link makes the item's page due again */
  link: string;
  /** when the page was last fetched */
  at: string;
  /** the extraction settings it was read with (fulltext/due.ts settingsKey): fullText.refresh reads again on a change */
  settings: string;
  /** contentHash of the item as the feed gives it now */
  feedHash: string;
  /** feedHash when the page was read: fullText.refresh reads again once the feed changed the item */
  readFor: string;
  /** why the last fetch or extraction failed */
  error?: string;
  /** failed attempts in a row */
  failures?: number;
  /** the next attempt after a failure; absent once the attempts are used up */
  retryAt?: string;
}

/** What the store remembers about each source between fetches; shown at /status. */
export interface SourceState {
  id: string;
  /** feed's own title and home page, from the last successful parse */
  feedTitle?: PlainText;
  feedLink?: string;
  /** the feed's logo or icon URL, when it names one; shown on the per-source output feed */
  feedImage?: string;
  /** start of the last attempt, whatever its outcome */
  lastFetch?: string;
  /** start of the last attempt that got a feed or a 304 */
  lastSuccess?: string;
  /** status of the last answer (after redirects); absent when there was none (timeout, refused connection) */
  httpStatus?: number;
  etag?: string;
  lastModified?: string;
  /** entries in the last document read */
  itemsSeen?: number;
  consecutiveFailures: number;
  lastError?: string;
  /** start of the first attempt of the current run of failures; cleared on success */
  failingSince?: string;
  /** no scheduled fetch before this time (backoff after failures, or the server's Retry-After) */
  nextFetch?: string;
  /** freshness the feed itself declared at the last full fetch (<ttl>, sy:*), still valid after a 304 */
  feedHints?: { ttlMinutes?: number; updatePeriod?: string; updateFrequency?: number };
  /** where a permanent redirect (301/308) sent this source's configured URL: fetched instead of it */
  movedTo?: string;
  /** the configured URL movedTo replaces; when the config names another URL, movedTo no longer applies */
  movedFrom?: string;
  /**
   * keys of items retention dropped while the source still listed them (short hash -> last listed), so they
   * are not stored again as new; see store/pruned-keys.ts
   */
  prunedKeys?: Record<string, string>;
  /**
   * the dedupe key this source uses when not the default guid (dedupe/source-key.ts): link, link+date or
   * link+date+title, chosen because too many of its guids were blank or repeated
   */
  dedupeKey?: 'link' | 'link+date' | 'link+date+title';
  /**
   * what the last document read left the operator to know, though it was read: a document cut off at its end
   * (its complete items kept), a date zone nobody knows read in the source's timezone; absent when none
   */
  warnings?: string[];
  /**
   * the charset a detector guessed at the last full fetch, when the body declared none and was not UTF-8
   * (fetch/charset-guess.ts); kept so that the guess is logged once, not at every fetch
   */
  charsetGuess?: string;
  /** the retention rule this source's items are kept under, and a stricter one waiting; see store/retention-changes.ts */
  retention?: RetentionRecord;
  /** for a source with fullText: its items' pages after the last cycle that read some (src/fulltext/) */
  fullText?: FullTextStatus;
}

/** How far a source's item pages are read: /status shows it. */
export interface FullTextStatus {
  /** items whose content is their page's article */
  ok: number;
  /** items whose page failed (retried with backoff, a few times): they keep the feed's content */
  failed: number;
  /** items whose page is still to be read, in later cycles (fullText.maxPerCycle per cycle) */
  pending: number;
  /** the last failure: when, which page, why */
  lastError?: { at: string; url: string; reason: string };
}

/** How many of a source's items retention keeps, and how long. */
export interface RetentionRule {
  /** newest items kept per source */
  maxItems: number;
  /** items published longer ago are dropped; no age limit when absent */
  maxAgeDays?: number;
  /** newest items kept per source whatever their age, so a quiet source never serves an empty feed */
  minItems?: number;
}

/**
 * The rule pruning follows for a source since `since`, and the stricter one the config asks for, which takes
 * over at `pending.due` ('purge': every item goes, for a source removed under --purge).
 */
export interface RetentionRecord {
  rule: RetentionRule;
  since: string;
  pending?: { rule: RetentionRule | 'purge'; since: string; due: string };
}
