// The zod schema is the reference for every key of feeds/*.yaml; README mirrors it.
import { z } from 'zod';
import cron from 'node-cron';

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

export const sourceSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/, 'must match [a-z0-9-]+ (it names stored items; never change it)').max(64),
  url: httpUrl,
  title: z.string().min(1).optional(),
  tags: z.array(tag).default([]),
  schedule: cronExpression.optional(),
  enabled: z.boolean().default(true),
  encoding: z.string().min(1).optional(),
  timezone: timezone.optional(),
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
  websub: z.strictObject({
    // a WebSub hub (e.g. https://pubsubhubbub.appspot.com/) that every feed names and that is pinged on change
    hub: httpUrl.optional(),
    // be a WebSub hub too, at <baseUrl>/websub: verified subscriptions, leases, signed content distribution
    builtin: z.boolean().default(false),
  }).default({ builtin: false }),
  sources: z.array(sourceSchema).default([]),
});

export type SourceConfigInput = z.input<typeof sourceSchema>;
export type ConfigFile = z.output<typeof configSchema>;
