import { DEFAULT_TRACKING_PARAMS } from '../config/tracking-params.ts';

/** Decides whether a query parameter only tracks the reader; such parameters are removed before links are compared. */
export type TrackingParams = (name: string) => boolean;

/** A matcher for parameter names, case-insensitive; "utm_*" matches every name starting with utm_. */
export function trackingParams(names: readonly string[]): TrackingParams {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const name of names) {
    const lower = name.trim().toLowerCase();
    if (lower.endsWith('*')) prefixes.push(lower.slice(0, -1));
    else if (lower) exact.add(lower);
  }
  return (name) => {
    const lower = name.toLowerCase();
    return exact.has(lower) || prefixes.some((p) => lower.startsWith(p));
  };
}

export const TRACKING_PARAMS: TrackingParams = trackingParams(DEFAULT_TRACKING_PARAMS);

/** An absolute http(s) URL resolved against base, or undefined. */
export function resolveUrl(value: string | undefined, base: string | undefined): string | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (!trimmed) return undefined;
  try {
    const url = base ? new URL(trimmed, base) : new URL(trimmed);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.href;
  } catch {
    return undefined;
  }
}

/**
 * The form of a link two sources agree on: http and https alike (as https), lower-case host, no default port,
 * no fragment, no credentials, no tracking parameters, sorted query. Used as a dedupe key only; the item keeps
 * the link the source gave.
 */
export function canonicalUrl(link: string, isTracking: TrackingParams = TRACKING_PARAMS): string | undefined {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.protocol = 'https:';
  url.hash = '';
  url.username = '';
  url.password = '';
  if (url.port === '80' || url.port === '443') url.port = '';
  url.hostname = url.hostname.toLowerCase().replace(/\.$/, '');
  const kept = [...url.searchParams].filter(([name]) => !isTracking(name));
  kept.sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1));
  url.search = new URLSearchParams(kept).toString();
  return url.href;
}

/**
 * The URL with its tracking parameters removed and nothing else changed, or the text as given when it is no
 * http(s) URL or carries none. For guids that are URLs: a key must not change with utm_source, but a guid
 * without tracking parameters must keep its exact key, or items stored before would look new.
 */
export function withoutTrackingParams(text: string, isTracking: TrackingParams = TRACKING_PARAMS): string {
  if (!/^https?:\/\/[^?]*\?/i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  const params = [...url.searchParams];
  const kept = params.filter(([name]) => !isTracking(name));
  if (kept.length === params.length) return text;
  url.search = new URLSearchParams(kept).toString();
  return url.href;
}
