// One line per fetch cycle for a person reading the console: what was fetched, what failed and why, what changed.
import type { CycleReport } from './fetch-cycle.ts';

/** failures named in the line; the rest are counted ("…") so a cycle with 500 failing sources stays one line */
const NAMED_FAILURES = 3;
/** an error message is cut here: the full text is in the source's own log line and on /status */
const ERROR_CHARS = 60;

/**
 * `cycle: 13 sources, 11 ok, 2 failed (cn-news: HTTP 500, …), 23 new, 3 updated, 1.2 s`, with
 * `…, 3 updated, 20 pages read (1 failed), 1.2 s` when sources with fullText read item pages
 * "ok" counts both fresh documents and 304s; sources skipped for backoff are counted apart.
 */
export function summarizeCycle(report: CycleReport, elapsedMs: number): string {
  const failed = report.sources.filter((s) => s.status === 'error');
  const ok = report.sources.length - failed.length;
  const n = report.sources.length;
  const parts = [`${n} source${n === 1 ? '' : 's'}`, `${ok} ok`, `${failed.length} failed${failureList(failed)}`];
  if (report.skipped.length > 0) parts.push(`${report.skipped.length} skipped`);
  parts.push(`${report.added} new`, `${report.updated} updated`);
  // Item pages (fullText), when any source read some: what an operator tuning a selector looks for.
  const pages = report.fullText?.reduce((sum, r) => ({ read: sum.read + r.read, failed: sum.failed + r.failed }), { read: 0, failed: 0 });
  if (pages && pages.read + pages.failed > 0) parts.push(`${pages.read} page${pages.read === 1 ? '' : 's'} read${pages.failed > 0 ? ` (${pages.failed} failed)` : ''}`);
  parts.push(`${(elapsedMs / 1000).toFixed(1)} s`);
  const line = `cycle: ${parts.join(', ')}`;
  return report.writeError ? `${line}; not stored: ${report.writeError.message}` : line;
}

function failureList(failed: CycleReport['sources']): string {
  if (failed.length === 0) return '';
  const named = failed.slice(0, NAMED_FAILURES).map((s) => `${s.sourceId}: ${shorten(withoutSource(s.sourceId, s.error?.message ?? 'failed'))}`);
  if (failed.length > NAMED_FAILURES) named.push('…');
  return ` (${named.join(', ')})`;
}

/** the fetch errors open with "source <id> (<url>): ", which the line already says */
function withoutSource(sourceId: string, message: string): string {
  const prefix = `source ${sourceId} (`;
  if (!message.startsWith(prefix)) return message;
  const end = message.indexOf('): ', prefix.length);
  return end < 0 ? message : message.slice(end + 3);
}

function shorten(message: string): string {
  const oneLine = message.replace(/\s+/g, ' ').trim();
  return oneLine.length <= ERROR_CHARS ? oneLine : `${oneLine.slice(0, ERROR_CHARS - 1)}…`;
}
