import type { BasicAuth } from './credentials.ts';
import type { PlainText } from '../model.ts';
import type { PageSelectors } from './selector.ts';

export interface SourceConfig {
  id: string;
  /** without any user:pass@, which is in `auth` */
  url: string;
  /** Basic auth: `auth:` (environment expanded), else a user:pass@ in the configured URL */
  auth?: BasicAuth;
  /** `headers:` (environment expanded), sent to the source's origin on every request; never shown */
  headers?: Record<string, string>;
  /** `proxy:`, the forward proxy for this source */
  proxy?: string;
  /** what the URL serves: a feed (when absent) or a web page read through `select` */
  type?: 'feed' | 'html';
  /** for type html: how the page's list becomes items */
  select?: PageSelectors;
  /** names the source in the feeds and the index instead of its feed's own title */
  title?: PlainText;
  tags: string[];
  /** node-cron expression; the config's default when the source names none */
  schedule: string;
  enabled: boolean;
  /** charset override, used when neither the HTTP header nor a BOM names one */
  encoding?: string;
  /** IANA zone for dates that carry none */
  timezone: string;
  /** items this leaves out are dropped before they are stored */
  filter?: SourceFilter;
  /** this source's own retention limits; unset keys fall back to Config.retention */
  retention?: { maxItemsPerSource?: number; maxAgeDays?: number; minItemsPerSource?: number };
  /** while the source fails, its own feed carries one item saying so (render/error-items.ts) */
  errorItems?: boolean;
  /** the schedule wins over the source's own freshness hints (<ttl>, sy:*, Cache-Control, Expires) */
  ignoreSourceTtl?: boolean;
  /** `fullText:` (its own, else defaults.fullText): each item's page read for its article; absent when off */
  fullText?: FullTextSettings;
}

/** A source's fullText, with its defaults filled in. */
export interface FullTextSettings {
  /** CSS selector of the article's element(s); absent: Readability finds it */
  select?: string;
  /** CSS selectors of elements dropped before extraction */
  remove: string[];
  /** pages fetched per cycle for this source, newest items first (default 20) */
  maxPerCycle: number;
  /** read a page again when the feed changes its item or select/remove change (default false: once per link) */
  refresh: boolean;
}

/** `fullText:` as written, before defaults apply */
export interface FullTextInput {
  select?: string | undefined;
  remove?: string[] | undefined;
  maxPerCycle?: number | undefined;
  refresh?: boolean | undefined;
}

export interface RetentionConfig {
  maxItemsPerSource: number;
  /** items published longer ago are dropped; no age limit when absent */
  maxAgeDays?: number;
  /** newest items a source keeps whatever their age (default 20) */
  minItemsPerSource: number;
}

export interface Config {
  /** files the config was read from, for messages */
  files: string[];
  title: PlainText;
  description?: PlainText;
  /** `language:` (BCP 47), canonical case; absent when the file names none (pages then speak English) */
  language?: string;
  baseUrl: string;
  /** baseUrl was not set: `serve` replaces it by the address it listens on (src/cli/listen-address.ts) */
  baseUrlFollowsListen?: boolean;
  defaults: { schedule: string; limit: number; timezone: string; fullText?: boolean | FullTextInput };
  fetch: {
    timeoutMs: number;
    connectTimeoutMs: number;
    maxBytes: number;
    userAgent?: string;
    /** fetches in flight at once, all hosts together */
    concurrency: number;
    /** fetches in flight at once to one host */
    hostConcurrency: number;
    /** scheduled fetches of one tick are spread over this many ms (at most half the schedule's interval) */
    spreadMs: number;
    /** bounds on the wait a source's freshness hints may impose, in ms */
    minIntervalMs: number;
    maxIntervalMs: number;
    /** redirects from a public source into the private network: none (false), all (true), or these CIDRs */
    allowPrivateRedirects: boolean | string[];
    /** `fetch.proxy`: the forward proxy of every source without its own; unset, the HTTP(S)_PROXY variables apply */
    proxy?: string;
  };
  dedupe: {
    /** query parameter names dropped from canonical links; "utm_*" is a prefix */
    trackingParams: string[];
    /** same-title items of different sources within this many hours are one story */
    titleWindowHours: number;
  };
  retention: RetentionConfig;
  store: { backups: number; kind: 'lowdb' | 'postgres'; url?: string | undefined; pool: number; leaseSeconds: number };
  /** WebSub: a hub to advertise and ping, and/or the built-in hub at <baseUrl>/websub */
  websub: WebSubSettings;
  /** per-host settings keyed by lower-case host name: perMinute, honorRetryAfter */
  hosts: Record<string, { perMinute?: number; honorRetryAfter?: boolean }>;
  sources: SourceConfig[];
  /** tag rules (vertical feeds); absent when the config has none */
  rules?: TagRule[];
  /** titles and descriptions of tag feeds; absent when the config has none */
  tags?: Record<string, TagInfo>;
}

// Vertical feeds: see src/rules/. Patterns are keywords or /regex/flags, validated at load.

/** Adds `tag` to items whose title, summary or categories contain a `match` entry, or that carry one of
 * `categories`, unless an `exclude` entry occurs; limited to `sources` when given. */
export interface TagRule {
  tag: string;
  match: string[];
  categories: string[];
  exclude: string[];
  sources?: string[];
}

export interface SourceFilter {
  /** when not empty, only items matching one of these are kept */
  include: string[];
  /** items matching one of these are dropped */
  exclude: string[];
}

export interface TagInfo {
  title?: PlainText;
  description?: PlainText;
}

/** The websub: keys; the built-in hub's limits apply only with builtin. */
export interface WebSubSettings {
  hub?: string;
  builtin: boolean;
  /** private callback addresses the hub may reach: all (true), none (false), or these CIDR ranges */
  allowPrivateCallbacks: boolean | string[];
  maxSubscriptions: number;
  maxSubscriptionsPerHost: number;
  /** hub requests per client address per minute (token bucket of that size) */
  requestsPerMinute: number;
  /** one request to a callback, in ms */
  timeoutMs: number;
}
