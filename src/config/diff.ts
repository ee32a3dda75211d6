import { ConfigError } from './errors.ts';
import type { Config, SourceConfig } from './types.ts';

export interface SourceChanges {
  /** enabled now and not before, or fetched from a new URL: to fetch at once */
  fetchNow: string[];
  /** configured before and not now: their items stay until retention drops them (or --purge) */
  removed: string[];
  /**
   * read differently now (a page's type or selectors changed): fetched at once without validators, since a 304 to
   * the old ones would keep what the old selectors read until the page itself changes
   */
  reread: string[];
}

export function diffSources(before: Config, after: Config): SourceChanges {
  const old = new Map(before.sources.map((s) => [s.id, s]));
  const reread = after.sources.filter((s) => {
    const was = old.get(s.id);
    return s.enabled && was !== undefined && (was.type !== s.type || JSON.stringify(was.select) !== JSON.stringify(s.select));
  }).map((s) => s.id);
  const fetchNow = after.sources.filter((s) => {
    const was = old.get(s.id);
    return s.enabled && (!was || !was.enabled || was.url !== s.url || reread.includes(s.id) || !sameAccess(was, s));
  }).map((s) => s.id);
  const current = new Set(after.sources.map((s) => s.id));
  return { fetchNow, removed: before.sources.filter((s) => !current.has(s.id)).map((s) => s.id), reread };
}

/** Same credentials, headers and proxy: a fixed cookie or password is tried at once, not at the next tick. */
function sameAccess(a: SourceConfig, b: SourceConfig): boolean {
  return JSON.stringify([a.auth, a.headers, a.proxy]) === JSON.stringify([b.auth, b.headers, b.proxy]);
}

/** Same settings, whichever files they came from. */
export function isSameConfig(a: Config, b: Config): boolean {
  return JSON.stringify({ ...a, files: [] }) === JSON.stringify({ ...b, files: [] });
}

/**
 * A reload may not take a running service from some sources to none: that is what a file emptied by a failed save,
 * or a directory whose files were moved away, looks like. Refused like an invalid config; starting the service
 * with the config (`sources: []`) is how an operator says "none" and means it.
 */
export function refuseEmptying(before: Config, after: Config, path: string): void {
  if (before.sources.length === 0 || after.sources.length > 0) return;
  const ids = before.sources.map((s) => s.id);
  const named = ids.length > 5 ? `${ids.slice(0, 5).join(', ')}, …` : ids.join(', ');
  throw new ConfigError([{
    file: after.files[0] ?? path, line: 0, key: 'sources',
    message: `the change leaves no source (the service runs ${ids.length}: ${named}); refused, since a file cut short while being saved reads the same. To run with no sources, restart the service with this config`,
  }]);
}
