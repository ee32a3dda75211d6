// `tributary fetch --once` on the PostgreSQL store: one pass against the database, as a running instance with
// --role fetch makes it (sources leased, so it never fetches a source a running instance is fetching; dedupe in the
// database), then a render if no instance holds the render lock. For cron beside serving instances, or an operator
// who wants one source fetched now.
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { SharedApp } from '../shared-app.ts';
import { maskedUrl } from './migrate-store.ts';
import { DatabaseStartError } from './start-error.ts';

/** How long the WebSub requests of this run may take before it exits (as on the embedded store). */
const WEBSUB_DRAIN_MS = 30_000;

export async function fetchOnceShared(config: Config, databaseUrl: string, logger: Logger, force: boolean, only: string[]): Promise<number> {
  let app: SharedApp;
  try {
    app = await (await import('../shared-app.ts')).SharedApp.open({ config, databaseUrl, role: 'fetch', logger, instanceId: `fetch-once-${process.pid}` });
  } catch (err) {
    throw new DatabaseStartError(maskedUrl(databaseUrl), err as Error);
  }
  try {
    const report = await app.fetchOnce({ force, ...(only.length > 0 ? { only: [...new Set(only)] } : {}) });
    for (const { outcome } of report.sources) {
      if (outcome.error) process.stderr.write(`${outcome.sourceId}: ${outcome.error.message}\n`);
      if (outcome.movedTo) process.stderr.write(`${outcome.sourceId}: moved permanently to ${outcome.movedTo}; update its url in the config\n`);
    }
    for (const { sourceId, nextFetch } of report.backingOff) {
      process.stderr.write(`${sourceId}: skipped, backing off until ${nextFetch} (--force or --source ${sourceId} fetches it anyway)\n`);
    }
    for (const { sourceId, until } of report.skipped) process.stderr.write(`${sourceId}: skipped, its host asked for a pause until ${until}\n`);
    for (const sourceId of report.heldElsewhere) process.stderr.write(`${sourceId}: skipped, a running instance is fetching it now\n`);
    const failed = report.sources.filter((s) => s.outcome.error).length;
    const skipped = report.backingOff.length + report.skipped.length + report.heldElsewhere.length;
    const renderer = report.rendered ? 'rendered and published' : 'published by the instance holding the render lock';
    process.stderr.write(`fetched ${report.sources.length} sources (${failed} failed${skipped ? `, ${skipped} skipped` : ''}): ${report.added} new, ${report.updated} updated items; ` +
      `${report.stored} stored (PostgreSQL store; ${renderer})\n`);
    await Promise.race([app.websub.idle(), delay(WEBSUB_DRAIN_MS, undefined, { ref: false })]);
    return 0;
  } finally {
    await app.close(0);
  }
}
