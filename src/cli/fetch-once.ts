// `tributary fetch --once`: one fetch cycle, for cron or an operator, then exit.
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { App } from '../app.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { createLogger } from '../log.ts';
import { RenderedDocs, renderKey, storeStamp } from '../render/rendered-docs.ts';
import type { CommonOptions } from './common-options.ts';
import { logOpened } from './lifecycle.ts';
import { reportStartError } from './start-error.ts';
import { nicenessProblem } from '../workers/priority.ts';
import { usageError } from './usage.ts';

/** How long fetch --once waits for WebSub pings and deliveries before it exits (README: fetch --once). */
const WEBSUB_DRAIN_MS = 30_000;

/**
 * force: also fetch sources that are backing off; without it a cron-driven fetch --once stays polite too.
 * only: the sources the operator named (--source); they are fetched now, backoff or not, since asking for one
 * source by name is how an operator says "I fixed it, try again".
 */
export async function fetchOnce(common: CommonOptions, force: boolean, only: string[], database?: string): Promise<number> {
  const niceness = nicenessProblem();
  if (niceness) return usageError(niceness);
  const logger = createLogger();
  let config: Config;
  try {
    config = await loadConfig(common.config);
  } catch (err) {
    return reportStartError(err);
  }
  for (const id of only) {
    const source = config.sources.find((s) => s.id === id);
    if (!source) return usageError(`unknown source "${id}" (not in ${common.config})`);
    if (!source.enabled) return usageError(`source "${id}" is disabled (enabled: false in ${common.config})`);
  }
  // --database, then TRIBUTARY_DATABASE_URL, then the config's store.url, as for serve.
  const given = database ?? (process.env.TRIBUTARY_DATABASE_URL || undefined);
  if (given !== undefined && !/^postgres(ql)?:\/\//i.test(given)) return usageError(`--database and TRIBUTARY_DATABASE_URL take a postgres:// URL, not "${given.replace(/\/\/[^@/]*@/, '//***@')}"`);
  const shared = given ?? (config.store.kind === 'postgres' ? config.store.url : undefined);
  if (config.store.kind === 'postgres' && !shared) {
    process.stderr.write(`${common.config}: store.kind is postgres but no database is named: set store.url, TRIBUTARY_DATABASE_URL or --database\n`);
    return 1;
  }
  if (shared) {
    try {
      return await (await import('./fetch-once-shared.ts')).fetchOnceShared(config, shared, logger, force, only);
    } catch (err) {
      return reportStartError(err);
    }
  }
  // The documents this run renders are kept in data/rendered/ as serve keeps them: the store this run writes
  // makes the ones kept before stale, and without new ones the next `serve` would serve no feed until its store
  // is loaded (cron-driven fetch --once beside a service restarted now and then is a common setup).
  const docs = await RenderedDocs.open(join(common.data, 'rendered'), {
    key: renderKey(config),
    stamp: storeStamp([join(common.data, 'store.json'), join(common.data, 'sources.json')]),
    warn: (message, err) => logger.warn(err === undefined ? {} : { err }, message),
  });
  let app: App;
  try {
    app = await App.open({ config, dataDir: common.data, logger, recover: common.recover, purge: common.purge, renderedDocs: docs });
  } catch (err) {
    return reportStartError(err);
  }
  logOpened(logger, app.store.file, app.store.opened);
  const report = await app.runCycle(only.length > 0 ? [...new Set(only)] : undefined, { force: force || only.length > 0 });
  for (const outcome of report.sources) {
    if (outcome.error) process.stderr.write(`${outcome.sourceId}: ${outcome.error.message}\n`);
    if (outcome.movedTo) process.stderr.write(`${outcome.sourceId}: moved permanently to ${outcome.movedTo}; update its url in ${common.config}\n`);
  }
  for (const { sourceId, nextFetch, host } of report.skipped) {
    const why = host ? `its host ${host} asked for a pause until ${nextFetch}` : `backing off until ${nextFetch}`;
    process.stderr.write(`${sourceId}: skipped, ${why} (--force or --source ${sourceId} fetches it anyway)\n`);
  }
  const failed = report.sources.filter((s) => s.status === 'error').length;
  const skipped = report.skipped.length ? `, ${report.skipped.length} skipped` : '';
  process.stderr.write(`fetched ${report.sources.length} sources (${failed} failed${skipped}): ${report.added} new, ${report.updated} updated items; ${app.store.size} stored\n`);
  // The WebSub requests this cycle queued get a while to go out; what is left waits in websub.json for the next run.
  await Promise.race([app.websub.idle(), delay(WEBSUB_DRAIN_MS, undefined, { ref: false })]);
  await app.close(0);
  if (report.writeError) {
    process.stderr.write(`${report.writeError.message}\n`);
    return 1;
  }
  return 0;
}
