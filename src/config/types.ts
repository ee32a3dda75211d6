export interface SourceConfig {
  id: string;
  url: string;
  title?: string;
  tags: string[];
  /** node-cron expression; the config's default when the source names none */
  schedule: string;
  enabled: boolean;
  /** charset override, used when neither the HTTP header nor a BOM names one */
  encoding?: string;
  /** IANA zone for dates that carry none */
  timezone: string;
  /** this source's own retention limits; unset keys fall back to Config.retention */
  retention?: { maxItemsPerSource?: number; maxAgeDays?: number; minItemsPerSource?: number };
  /** while the source fails, its own feed carries one item saying so (render/error-items.ts) */
  errorItems?: boolean;
  /** the schedule wins over the source's own freshness hints (<ttl>, sy:*, Cache-Control, Expires) */
  ignoreSourceTtl?: boolean;
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
  title: string;
  description?: string;
  baseUrl: string;
  defaults: { schedule: string; limit: number; timezone: string };
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
  };
  dedupe: {
    /** query parameter names dropped from canonical links; "utm_*" is a prefix */
    trackingParams: string[];
    /** same-title items of different sources within this many hours are one story */
    titleWindowHours: number;
  };
  retention: RetentionConfig;
  store: { backups: number };
  /** per-host settings keyed by lower-case host name: perMinute, honorRetryAfter */
  hosts: Record<string, { perMinute?: number; honorRetryAfter?: boolean }>;
  sources: SourceConfig[];
}
