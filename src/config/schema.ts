// The zod schema is the reference for every key of feeds/*.yaml; README mirrors it.
// A namespace import, as zod recommends for v4: the bundler then keeps only what this file uses. `import { z }` made
// the compiled CLI carry all of zod's 64 locales and its JSON Schema converters (750 KB; 180 KB now), which every
// command that reads the config compiled and ran at its start.
import * as z from 'zod';
import cron from 'node-cron';
import { patternProblem } from '../rules/pattern.ts';
import { dateFormatProblem } from '../normalize/page-dates.ts';
import { selectorProblem } from './selector.ts';
import { cidrProblem } from '../fetch/address-policy.ts';
import { DEFAULT_TRACKING_PARAMS } from './tracking-params.ts';

export { DEFAULT_TRACKING_PARAMS };

const cronExpression = z.string().refine((expr) => cron.validate(expr), {
  message: 'is not a valid cron expression (five or six fields, e.g. "*/15 * * * *")',
});

const httpUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  },
  { message: 'must be an absolute http:// or https:// URL' },
);

const timezone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not an IANA time zone name (e.g. Asia/Shanghai, UTC)' },
);

// BCP 47 in the shape browsers and feed validators accept: a 2–3 letter language, then subtags (zh-CN, zh-Hant-TW).
const languageTag = z.string().regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i, 'must be a language tag such as en, zh-CN or zh-Hant-TW (BCP 47)');

const tag = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters')
  .refine((t) => !/[/\\?#%+,]/.test(t), { message: 'must not contain / \\ ? # % + or ,' });

const FETCH_DEFAULTS = {
  timeoutSeconds: 20, connectTimeoutSeconds: 10, maxBytes: 10 * 1024 * 1024, concurrency: 8, hostConcurrency: 2, spreadSeconds: 300,
  allowPrivateRedirects: false,
  minIntervalMinutes: 0, maxIntervalMinutes: 1440,
};
/** See README "WebSub hub limits" for why these numbers. */
export const WEBSUB_DEFAULTS = { maxSubscriptions: 10_000, maxSubscriptionsPerHost: 500, requestsPerMinute: 60, timeoutSeconds: 10 };

/** true, false, or a list of CIDR ranges: the private addresses an operator lets strangers' URLs reach. */
export const privateAllowance = z.union([
  z.boolean(),
  z.array(z.string().superRefine((text, ctx) => {
    const problem = cidrProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })),
], { error: 'must be true, false or a list of CIDR ranges (e.g. [10.0.0.0/8, fd00::/8])' });

/**
 * Request headers a source's config may not set: framing and connection headers belong to the HTTP client, and a
 * proxy's credentials belong to the proxy URL.
 */
export const REFUSED_HEADERS: readonly string[] = [
  'host', 'content-length', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer',
  'upgrade', 'proxy-authorization', 'proxy-authenticate',
];

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Sent on every request of the source; values may name environment variables as ${NAME}. */
const sourceHeaders = z.record(z.string(), z.string().refine((v) => !/[\r\n\0]/.test(v), { message: 'must not contain line breaks or NUL' }))
  .superRefine((headers, ctx) => {
    // Checked here rather than by the key schema, whose message zod replaces by "Invalid key in record".
    const seen = new Set<string>();
    for (const name of Object.keys(headers)) {
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'must be an HTTP header name (letters, digits and -)' });
      else if (REFUSED_HEADERS.includes(lower)) ctx.addIssue({ code: 'custom', path: [name], message: 'is set by the HTTP client itself and cannot be configured (Host, Content-Length and hop-by-hop headers)' });
      else if (seen.has(lower)) ctx.addIssue({ code: 'custom', path: [name], message: `names the header ${name} twice (header names ignore case)` });
      seen.add(lower);
    }
  });

/** HTTP Basic auth; wins over a user:pass@ in the URL. Both fields may name environment variables as ${NAME}. */
const sourceAuth = z.strictObject({
  username: z.string().refine((v) => !v.includes(':'), { message: 'must not contain ":" (Basic auth separates user and password by it)' }),
  password: z.string(),
});

/** A forward proxy: http://host:port (https:// for a proxy spoken to over TLS). */
const proxyUrl = httpUrl.refine((value) => { const u = new URL(value); return (u.pathname === '/' || u.pathname === '') && !u.search; }, { message: 'must be a proxy address such as http://proxy.example:3128 (no path)' });

const sourceRetention = z.strictObject({
  maxItemsPerSource: z.number().int().min(1).optional(),
  maxAgeDays: z.number().positive().optional(),
  minItemsPerSource: z.number().int().min(0).optional(),
});

const queryParamName = z.string().trim().regex(/^[^\s*&=#]+\*?$/, 'must be a query parameter name, optionally ending in * for a prefix');

// Vertical feeds (README "The sources file": rules, filter, tags). A pattern is a keyword or a /regex/flags;
// regexes are compiled here so a bad one is reported with its line.
const pattern = z.string().min(1, 'must not be empty').superRefine((text, ctx) => {
  const problem = patternProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const sourceIdRef = z.string().regex(/^[a-z0-9-]+$/, 'must be a source id ([a-z0-9-]+)');

export const ruleSchema = z.strictObject({
  tag,
  match: z.array(pattern).default([]),
  categories: z.array(z.string().trim().min(1, 'must not be empty')).default([]),
  exclude: z.array(pattern).default([]),
  sources: z.array(sourceIdRef).min(1, 'must name at least one source (or leave the key out)').optional(),
}).refine((r) => r.match.length > 0 || r.categories.length > 0, { message: 'needs a match or a categories list (or both)' });

const sourceFilterSchema = z.strictObject({
  include: z.array(pattern).default([]),
  exclude: z.array(pattern).default([]),
});

const tagInfosSchema = z.record(z.string(), z.strictObject({
  title: z.string().min(1).optional(),
  description: z.string().min(1).optional(),
})).superRefine((infos, ctx) => {
  for (const name of Object.keys(infos)) {
    const problem = tag.safeParse(name).error?.issues[0]?.message;
    if (problem || name !== name.trim()) ctx.addIssue({ code: 'custom', path: [name], message: `tag "${name}" ${problem ?? 'must not start or end with spaces'}` });
  }
});

const itemSelector = z.string().superRefine((text, ctx) => {
  const problem = selectorProblem(text, 'item');
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const fieldSelector = z.string().superRefine((text, ctx) => {
  const problem = selectorProblem(text, 'field');
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** How a `type: html` source's page becomes items; see config/selector.ts for the "css@attr" form. */
const pageSelect = z.strictObject({
  item: itemSelector,
  title: fieldSelector,
  link: fieldSelector.optional(),
  summary: fieldSelector.optional(),
  date: fieldSelector.optional(),
  dateFormat: z.string().superRefine((text, ctx) => {
    const problem = dateFormatProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
});

const articleSelector = z.string().superRefine((text, ctx) => {
  const problem = selectorProblem(text, 'item');
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const FULL_TEXT_DEFAULTS = { maxPerCycle: 20, refresh: false };

/**
 * Each item's page read for its article (src/fulltext/): `true` with Readability, or the element `select` names;
 * `remove` drops elements first. At most maxPerCycle pages per source and cycle, newest items first.
 */
const fullTextObject = z.strictObject({
  select: articleSelector.optional(),
  remove: z.array(articleSelector).optional(),
  maxPerCycle: z.number().int().min(1).max(1000).optional(),
  /** read an item's page again when the feed changes the item, or when select/remove change */
  refresh: z.boolean().optional(),
});
const fullText = z.union([z.boolean(), fullTextObject], { error: (issue) => issue.code === 'invalid_union' ? 'must be true, false or a map of select (CSS), remove (a list of CSS), maxPerCycle (a number) and refresh (true or false)' : undefined });

export const sourceSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'must match [a-z0-9-]+ (it names stored items; never change it)').max(64),
  url: httpUrl,
  /** feed: RSS/Atom/JSON Feed; html: a web page whose list `select` turns into items */
  type: z.enum(['feed', 'html']).default('feed'),
  select: pageSelect.optional(),
  title: z.string().min(1).optional(),
  tags: z.array(tag).default([]),
  schedule: cronExpression.optional(),
  enabled: z.boolean().default(true),
  encoding: z.string().min(1).optional(),
  timezone: timezone.optional(),
  /** overrides retention.* for this source */
  retention: sourceRetention.optional(),
  filter: sourceFilterSchema.optional(),
  /** while failing, one item in the source's own feed tells its readers */
  errorItems: z.boolean().optional(),
  /** follow the schedule even when the source's <ttl>, sy:*, Cache-Control or Expires ask for a longer wait */
  ignoreSourceTtl: z.boolean().optional(),
  /** sent on every request to the source's origin (never after a redirect to another origin); ${NAME} reads the environment */
  headers: sourceHeaders.optional(),
  /** Basic auth for the source's origin; wins over a user:pass@ in the URL; ${NAME} reads the environment */
  auth: sourceAuth.optional(),
  /** the forward proxy for this source, instead of fetch.proxy and HTTP(S)_PROXY */
  proxy: proxyUrl.optional(),
  /** the article of each item's page replaces the item's content; see fullTextObject */
  fullText: fullText.optional(),
}).superRefine((source, ctx) => {
  // Reported at the key to add or remove, so the line points where the operator has to write.
  if (source.type === 'html' && !source.select) {
    ctx.addIssue({ code: 'custom', path: ['type'], message: 'a source of type html needs select: (at least select.item and select.title)' });
  } else if (source.type === 'feed' && source.select) {
    ctx.addIssue({ code: 'custom', path: ['select'], message: 'select applies only to sources of type html (add type: html, or remove select)' });
  }
});

export const configSchema = z.strictObject({
  title: z.string().min(1).default('Tributary'),
  description: z.string().optional(),
  /** the language of the pages' own words, their lang attribute and every feed's language; pages default to en */
  language: languageTag.optional(),
  // unset: the links follow the address `serve` listens on (http://127.0.0.1:8080 for fetch --once and check)
  baseUrl: httpUrl.optional(),
  defaults: z.strictObject({
    schedule: cronExpression.default('*/15 * * * *'),
    limit: z.number().int().min(1).max(500).default(50),
    timezone: timezone.default('UTC'),
    /** fullText of every source that does not set its own */
    fullText: fullText.optional(),
  }).default({ schedule: '*/15 * * * *', limit: 50, timezone: 'UTC' }),
  fetch: z.strictObject({
    timeoutSeconds: z.number().positive().max(600).default(20),
    connectTimeoutSeconds: z.number().positive().max(600).default(10),
    maxBytes: z.number().int().positive().default(10 * 1024 * 1024),
    userAgent: z.string().min(1).optional(),
    concurrency: z.number().int().min(1).max(256).default(8),
    hostConcurrency: z.number().int().min(1).max(64).default(2),
    spreadSeconds: z.number().min(0).max(3600).default(300),
    /** bounds on the wait a source's freshness hints (<ttl>, sy:*, Cache-Control, Expires) may impose */
    minIntervalMinutes: z.number().min(0).max(7 * 1440).default(0),
    maxIntervalMinutes: z.number().min(1).max(30 * 1440).default(1440),
    /** may a source on a public host redirect into the private network (loopback, 10/8, …)? */
    allowPrivateRedirects: privateAllowance.default(false),
    /** the forward proxy for every source (a source's proxy: wins); unset: HTTPS_PROXY / HTTP_PROXY / NO_PROXY */
    proxy: proxyUrl.optional(),
  }).default(FETCH_DEFAULTS),
  dedupe: z.strictObject({
    // replaces the default list; copy it from README to add one
    trackingParams: z.array(queryParamName).default([...DEFAULT_TRACKING_PARAMS]),
    // two items of different sources with the same title fingerprint are one story within this window
    titleWindowHours: z.number().positive().max(24 * 30).default(48),
  }).default({ trackingParams: [...DEFAULT_TRACKING_PARAMS], titleWindowHours: 48 }),
  retention: z.strictObject({
    maxItemsPerSource: z.number().int().min(1).default(500),
    /** no age limit when absent */
    maxAgeDays: z.number().positive().optional(),
    /** newest items a source keeps whatever their age, so a quiet source never serves an empty feed */
    minItemsPerSource: z.number().int().min(0).default(20),
  }).default({ maxItemsPerSource: 500, minItemsPerSource: 20 }),
  /** per-host settings, keyed by host name as in the URL (lower case, no port) */
  hosts: z.record(z.string().min(1), z.strictObject({
    /** requests started to this host per rolling minute, at most */
    perMinute: z.number().int().min(1).max(6000).optional(),
    /** a Retry-After from this host pauses all its sources; default true, false for loopback and private hosts */
    honorRetryAfter: z.boolean().optional(),
  })).default({}),
  store: z.strictObject({
    /** how many previous store files data/backups/ keeps (embedded store) */
    backups: z.number().int().min(0).max(100).default(3),
    /** lowdb: the embedded store under data/ (default); postgres: a database shared by several instances */
    kind: z.enum(['lowdb', 'postgres']).default('lowdb'),
    /** the database (kind: postgres); TRIBUTARY_DATABASE_URL or --database take precedence and keep a password out of the file */
    url: z.string().regex(/^postgres(ql)?:\/\//i, 'must be a postgres:// or postgresql:// URL').optional(),
    /** connections each instance keeps to the database */
    pool: z.number().int().min(2).max(200).default(10),
    /**
     * how long an instance holds a source's fetch lease without renewing it (postgres): the sources of an instance
     * killed mid-fetch are fetched by another once this has passed. Renewed at a third of it while a fetch runs.
     */
    leaseSeconds: z.number().int().min(5).max(86_400).default(300),
  }).default({ backups: 3, kind: 'lowdb', pool: 10, leaseSeconds: 300 }),
  websub: z.strictObject({
    // a WebSub hub (e.g. https://pubsubhubbub.appspot.com/) that every feed names and that is pinged on change
    hub: httpUrl.optional(),
    // be a WebSub hub too, at <baseUrl>/websub: verified subscriptions, leases, signed content distribution
    builtin: z.boolean().default(false),
    // callbacks on loopback, private, link-local, CGNAT, multicast or unspecified addresses: refused unless true,
    // or unless inside one of these CIDR ranges (an anonymous subscriber must not make the hub reach the LAN)
    allowPrivateCallbacks: privateAllowance.default(false),
    // subscriptions the built-in hub holds (verified, plus requests being verified), all callbacks together
    maxSubscriptions: z.number().int().min(1).max(1_000_000).default(WEBSUB_DEFAULTS.maxSubscriptions),
    // the same, per callback host name
    maxSubscriptionsPerHost: z.number().int().min(1).max(1_000_000).default(WEBSUB_DEFAULTS.maxSubscriptionsPerHost),
    // hub requests one client address (an IPv6 /64) may make per minute, in bursts of as many
    requestsPerMinute: z.number().int().min(1).max(1_000_000).default(WEBSUB_DEFAULTS.requestsPerMinute),
    // one verification or delivery to a callback, connect to last byte
    timeoutSeconds: z.number().positive().max(600).default(WEBSUB_DEFAULTS.timeoutSeconds),
  }).default({ builtin: false, allowPrivateCallbacks: false, ...WEBSUB_DEFAULTS }),
  sources: z.array(sourceSchema).default([]),
  rules: z.array(ruleSchema).default([]),
  tags: tagInfosSchema.optional(),
});

/**
 * Checks that need every source of every config file, so they run on the merged config (src/config/load.ts):
 * a rule naming an unknown source would silently never apply, and a title for a tag nothing gives (a misspelt
 * tag) would never show.
 */
export function crossReferenceIssues(config: Pick<ConfigFile, 'rules' | 'tags'>, sources: { id: string; tags: string[] }[]): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const ids = new Set(sources.map((s) => s.id));
  config.rules.forEach((rule, r) => rule.sources?.forEach((id, i) => {
    if (!ids.has(id)) issues.push({ path: ['rules', r, 'sources', i], message: `no source has the id "${id}"` });
  }));
  const tags = new Set([...sources.flatMap((s) => s.tags), ...config.rules.map((r) => r.tag)]);
  for (const name of Object.keys(config.tags ?? {})) {
    if (!tags.has(name) && tag.safeParse(name).success) issues.push({ path: ['tags', name], message: `no source or rule has the tag "${name}"` });
  }
  return issues;
}

/**
 * Every file of a config directory but the main one holds only sources; the global keys live in one place
 * so two files can never disagree about the title or the default schedule.
 */
export const sourcesFileSchema = z.strictObject({
  sources: z.array(sourceSchema).default([]),
});

/** Keys only the main file may set. */
export const GLOBAL_KEYS = Object.keys(configSchema.shape).filter((key) => key !== 'sources');

export type SourceConfigInput = z.input<typeof sourceSchema>;
export type ConfigFile = z.output<typeof configSchema>;
export type SourceFileEntry = z.output<typeof sourceSchema>;
