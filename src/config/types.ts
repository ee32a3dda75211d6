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
  retention: { maxItemsPerSource: number };
  /** WebSub: a hub to advertise and ping, and/or the built-in hub at <baseUrl>/websub */
  websub: { hub?: string; builtin: boolean };
  sources: SourceConfig[];
}
