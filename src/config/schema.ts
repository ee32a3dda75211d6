// The zod schema is the reference for every key of feeds/*.yaml; README mirrors it.
import { z } from 'zod';
import cron from 'node-cron';
import { patternProblem } from '../rules/pattern.ts';

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

const tag = z.string().trim().min(1, 'must not be empty').max(64, 'must be at most 64 characters')
  .refine((t) => !/[/\\?#%+,]/.test(t), { message: 'must not contain / \\ ? # % + or ,' });

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

export const sourceSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'must match [a-z0-9-]+ (it names stored items; never change it)').max(64),
  url: httpUrl,
  title: z.string().min(1).optional(),
  tags: z.array(tag).default([]),
  schedule: cronExpression.optional(),
  enabled: z.boolean().default(true),
  encoding: z.string().min(1).optional(),
  timezone: timezone.optional(),
  filter: sourceFilterSchema.optional(),
});

export const configSchema = z.strictObject({
  title: z.string().min(1).default('Tributary'),
  description: z.string().optional(),
  baseUrl: httpUrl.default('http://127.0.0.1:8080'),
  defaults: z.strictObject({
    schedule: cronExpression.default('*/15 * * * *'),
    limit: z.number().int().min(1).max(500).default(50),
    timezone: timezone.default('UTC'),
  }).default({ schedule: '*/15 * * * *', limit: 50, timezone: 'UTC' }),
  fetch: z.strictObject({
    timeoutSeconds: z.number().positive().max(600).default(20),
    maxBytes: z.number().int().positive().default(10 * 1024 * 1024),
    userAgent: z.string().min(1).optional(),
  }).default({ timeoutSeconds: 20, maxBytes: 10 * 1024 * 1024 }),
  retention: z.strictObject({
    maxItemsPerSource: z.number().int().min(1).default(500),
  }).default({ maxItemsPerSource: 500 }),
  sources: z.array(sourceSchema).default([]),
  rules: z.array(ruleSchema).default([]),
  tags: tagInfosSchema.optional(),
}).superRefine((config, ctx) => {
  // A rule naming an unknown source would silently never apply; a typo in an id must be caught here.
  const ids = new Set(config.sources.map((s) => s.id));
  config.rules.forEach((rule, r) => rule.sources?.forEach((id, i) => {
    if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['rules', r, 'sources', i], message: `no source has the id "${id}"` });
  }));
  // Likewise a title for a tag nothing gives (a misspelt tag) would never show.
  const tags = new Set([...config.sources.flatMap((s) => s.tags), ...config.rules.map((r) => r.tag)]);
  for (const name of Object.keys(config.tags ?? {})) {
    if (!tags.has(name) && tag.safeParse(name).success) ctx.addIssue({ code: 'custom', path: ['tags', name], message: `no source or rule has the tag "${name}"` });
  }
});

export type SourceConfigInput = z.input<typeof sourceSchema>;
export type ConfigFile = z.output<typeof configSchema>;
