// The log lines of a fetch cycle that an operator greps for: one per fetched source, and what a config edit's
// retention rules did (store/retention-changes.ts). The one-line summary of a whole cycle is cycle-summary.ts.
import type { IngestOutcome } from './ingest.ts';
import type { Logger } from './log.ts';
import type { RetentionPolicy } from './store/retention.ts';
import { describeRule, type SettledRetention } from './store/retention-changes.ts';

/** Logs the retention changes a settle found (deferred, withdrawn, applied) and returns the policy now in force. */
export function logSettledRetention(log: Logger, settled: SettledRetention): RetentionPolicy {
  for (const c of settled.deferred) {
    log.warn({ source: c.sourceId, from: c.from, to: c.to, due: c.due },
      `retention of ${c.sourceId} becomes stricter (${describeRule(c.from)} -> ${describeRule(c.to)}): the items it would drop are kept until ${c.due}, so the edit can still be reverted; "tributary prune --now${c.to === 'purge' ? ' --purge' : ''}" applies it at once`);
  }
  for (const c of settled.withdrawn) {
    log.info({ source: c.sourceId, rule: c.from, withdrawn: c.to }, `retention of ${c.sourceId}: the stricter rule waiting since ${c.since} is withdrawn, the config no longer asks for it`);
  }
  for (const c of settled.applied) {
    log.info({ source: c.sourceId, from: c.from, to: c.to, since: c.since }, `retention of ${c.sourceId}: ${describeRule(c.to)} now in force (asked for since ${c.since})`);
  }
  return settled.policy;
}

/** One line per fetch: what an operator greps for when a source misbehaves. */
export function logFetch(log: Logger, o: IngestOutcome): void {
  const fields = {
    source: o.sourceId, url: o.url, status: o.status, http: o.state.httpStatus ?? null, bytes: o.bytes, ms: o.ms,
    new: o.changes?.added.length ?? 0, updated: o.changes?.updated.length ?? 0,
    ...(o.movedTo ? { movedTo: o.movedTo } : {}),
    ...(o.state.nextFetch ? { nextFetch: o.state.nextFetch, failures: o.state.consecutiveFailures } : {}),
  };
  const moved = o.movedTo ? `; moved permanently to ${o.movedTo} (fetched from there from now on; update its url in the config)` : '';
  if (o.charsetGuess) {
    const { label, confidence } = o.charsetGuess;
    log.warn({ source: o.sourceId, charset: label, confidence },
      `charset of ${o.sourceId} guessed as ${label} (confidence ${confidence}/100): the body names none and is not UTF-8; set "encoding: ${label}" on the source if that is right, or the charset it is in`);
  }
  if (o.keySwitch) {
    const { mode, switchedFrom } = o.keySwitch;
    log.warn({ source: o.sourceId, dedupeKey: mode, previousKey: switchedFrom.mode, badShare: Math.round(switchedFrom.badShare * 1000) / 1000 },
      `dedupe key switched from ${switchedFrom.mode} to ${mode}: ${Math.round(switchedFrom.badShare * 100)}% of the items had a blank or repeated ${switchedFrom.mode}`);
  }
  // Kept on the source (/status) while they hold; logged when they first appear, not at every fetch.
  for (const warning of o.warnings ?? []) log.warn({ source: o.sourceId, url: o.url, warning }, `source ${o.sourceId}: ${warning}`);
  if (o.error) log.warn({ ...fields, error: o.error.message }, `fetch failed: ${o.error.message}${moved}`);
  else if (o.movedTo) log.warn(fields, `fetched${moved}`);
  else log.info(fields, 'fetched');
}
