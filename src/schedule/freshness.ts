// How long a source asks not to be fetched again: RSS <ttl> (minutes), the RSS 1.0 syndication module
// (sy:updatePeriod / sy:updateFrequency), and HTTP caching (Cache-Control: max-age, Expires; RFC 9111). The
// latest of what they allow wins, clamped to the configured bounds, so a bogus "ttl 100000" never silences a
// source for months and a "max-age=1" changes nothing. Pure: the clock is passed in.

/** What the source said, as read from the feed and the response headers. */
export interface FreshnessHints {
  ttlMinutes?: number;
  updatePeriod?: string;
  updateFrequency?: number;
  cacheControl?: string;
  expires?: string;
}

export interface FreshnessBounds {
  minMs: number;
  maxMs: number;
}

const PERIOD_MS: Record<string, number> = {
  hourly: 3600_000, daily: 86_400_000, weekly: 7 * 86_400_000, monthly: 30 * 86_400_000, yearly: 365 * 86_400_000,
};

/** The time before which the source asked not to be fetched again, or undefined when it asked nothing. */
export function freshUntil(hints: FreshnessHints, now: Date, bounds: FreshnessBounds): Date | undefined {
  const waits = [ttlWait(hints), syndicationWait(hints), httpWait(hints, now)].filter((w): w is number => w !== undefined && w > 0);
  if (waits.length === 0) return undefined;
  const wait = Math.min(Math.max(Math.max(...waits), bounds.minMs), bounds.maxMs);
  return wait > 0 ? new Date(now.getTime() + wait) : undefined;
}

function ttlWait(hints: FreshnessHints): number | undefined {
  return hints.ttlMinutes !== undefined && hints.ttlMinutes > 0 ? hints.ttlMinutes * 60_000 : undefined;
}

function syndicationWait(hints: FreshnessHints): number | undefined {
  const period = hints.updatePeriod ? PERIOD_MS[hints.updatePeriod.trim().toLowerCase()] : undefined;
  if (period === undefined) return undefined;
  // sy:updateFrequency is how many times per period; default 1.
  const frequency = hints.updateFrequency !== undefined && hints.updateFrequency > 0 ? hints.updateFrequency : 1;
  return period / frequency;
}

function httpWait(hints: FreshnessHints, now: Date): number | undefined {
  const directives = (hints.cacheControl ?? '').toLowerCase().split(',').map((d) => d.trim());
  // no-cache / no-store: the server asks us to check every time, which is what the schedule does anyway.
  if (directives.includes('no-cache') || directives.includes('no-store')) return undefined;
  const maxAge = directives.map((d) => d.match(/^max-age\s*=\s*"?(\d+)"?$/)).find(Boolean);
  // RFC 9111 §5.3: max-age takes precedence over Expires.
  if (maxAge) return Number(maxAge[1]) * 1000;
  if (!hints.expires) return undefined;
  const at = Date.parse(hints.expires);
  return Number.isNaN(at) ? undefined : at - now.getTime();
}
