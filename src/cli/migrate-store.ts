// `tributary migrate-store --to postgres://…` copies the embedded store (--data DIR) into an empty PostgreSQL
// database; `tributary migrate-store --to DIR --database postgres://…` (or TRIBUTARY_DATABASE_URL) copies a
// PostgreSQL store back into an empty data directory, for a small installation. Both verify the counts per source
// after the copy. Refused while a `serve` holds the embedded data directory (data/writer.lock). The built-in WebSub
// hub's active subscriptions (data/websub.json) go with the store, verified one by one after the copy.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { SubscriptionStore } from '../serve/websub/subscriptions.ts';
import { copyToEmbedded, copyToPostgres, CopyRefusedError, type CopyReport } from '../store/pg/copy.ts';
import type { HubCopyReport } from '../store/pg/copy-subscriptions.ts';
import { SchemaError } from '../store/pg/migrate.ts';
import { PgStore } from '../store/pg/pg-store.ts';
import { ItemStore } from '../store/store.ts';
import { lockDataDir, type WriterLock } from '../store/writer-lock.ts';
import type { CommonOptions } from './common-options.ts';
import { reportStartError } from './start-error.ts';
import { usageError } from './usage.ts';

export interface MigrateStoreOptions {
  to?: string | undefined;
  database?: string | undefined;
}

const isDatabaseUrl = (value: string) => /^postgres(ql)?:\/\//i.test(value);

/** A database URL as it may be printed: without its password. */
export function maskedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://…';
  }
}

export async function migrateStore(common: CommonOptions, options: MigrateStoreOptions): Promise<number> {
  if (!options.to) return usageError('tributary migrate-store needs --to postgres://… (from --data) or --to DIR (from --database)');
  const toDatabase = isDatabaseUrl(options.to);
  const database = toDatabase ? options.to : options.database ?? process.env.TRIBUTARY_DATABASE_URL;
  if (!database || !isDatabaseUrl(database)) {
    return usageError('tributary migrate-store --to DIR copies from PostgreSQL: give --database postgres://… or TRIBUTARY_DATABASE_URL');
  }
  const dir = toDatabase ? common.data : options.to;
  // A mistyped --data would otherwise copy an empty store and report success.
  if (toDatabase && !existsSync(join(dir, 'store.json'))) {
    process.stderr.write(`${join(dir, 'store.json')} does not exist: nothing to copy (give the data directory with --data DIR)\n`);
    return 1;
  }
  if (!toDatabase && existsSync(join(dir, 'store.json'))) {
    process.stderr.write(`${join(dir, 'store.json')} exists: migrate-store copies into an empty data directory only\n`);
    return 1;
  }
  let lock: WriterLock;
  try {
    lock = await lockDataDir(dir, 'migrate-store');
  } catch (err) {
    return reportStartError(err);
  }
  let pg: PgStore | undefined;
  try {
    pg = await PgStore.open({ url: database, pool: 2 });
    const store = await ItemStore.open(dir);
    const subscriptions = await SubscriptionStore.open(dir);
    const started = performance.now();
    const now = new Date();
    const report: CopyReport = toDatabase
      ? await copyToPostgres(store, pg, { subscriptions, now, baseUrl: subscriptions.all().length > 0 ? await configuredBaseUrl(common.config) : undefined })
      : await copyToEmbedded(pg, store, { subscriptions, now, reopen: () => SubscriptionStore.open(dir) });
    const ms = Math.round(performance.now() - started);
    const [from, to] = toDatabase ? [dir, maskedUrl(database)] : [maskedUrl(database), dir];
    process.stdout.write(`copied ${report.items} items of ${report.bySource.size} sources and ${report.sources} source states${hubSummary(report.hub)} from ${from} to ${to} in ${ms} ms; counts per source match${report.hub ? '; subscriptions match' : ''}\n`);
    return 0;
  } catch (err) {
    if (err instanceof CopyRefusedError || err instanceof SchemaError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    const message = (err as Error).message ?? String(err);
    process.stderr.write(`migrate-store failed (${maskedUrl(database)}): ${message.replaceAll(database, maskedUrl(database))}\n`);
    return 1;
  } finally {
    await pg?.close();
    lock.release();
  }
}

/** The summary's words for the hub: subscriptions copied, ended leases left behind, and the unfinished work copied. */
function hubSummary(hub: HubCopyReport | undefined): string {
  if (!hub) return '';
  const left = hub.expired > 0 ? ` (${hub.expired} expired, not copied)` : '';
  const work = hub.verifications > 0 || hub.deliveries > 0 ? ` with ${hub.verifications} requests to verify and ${hub.deliveries} deliveries owed` : '';
  return ` and ${hub.subscriptions} WebSub subscriptions${left}${work}`;
}

/**
 * The config's baseUrl, which says exactly which feed each subscription's topic names. Unset (links following the
 * listening address), the topic URLs themselves are read (see topicDocName); so too when the config cannot be read,
 * and the operator is told.
 */
async function configuredBaseUrl(config: string): Promise<string | undefined> {
  try {
    const loaded = await loadConfig(config);
    return loaded.baseUrlFollowsListen ? undefined : loaded.baseUrl;
  } catch (err) {
    process.stderr.write(`note: the config (${config}) could not be read, so the feed each WebSub subscription's topic names is read from the topic URL: ${(err as Error).message}\n`);
    return undefined;
  }
}
