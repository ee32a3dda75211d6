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
}

export interface Config {
  /** files the config was read from, for messages */
  files: string[];
  title: string;
  description?: string;
  baseUrl: string;
  defaults: { schedule: string; limit: number; timezone: string };
  fetch: { timeoutMs: number; maxBytes: number; userAgent?: string };
  dedupe: {
    /** query parameter names dropped from canonical links; "utm_*" is a prefix */
    trackingParams: string[];
    /** same-title items of different sources within this many hours are one story */
    titleWindowHours: number;
  };
  retention: { maxItemsPerSource: number };
  sources: SourceConfig[];
}
