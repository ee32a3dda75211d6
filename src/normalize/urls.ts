/** Query parameters that only track the reader, removed before a link is compared. */
export const TRACKING_PARAMS = [
  /^utm_/i, /^spm$/i, /^from$/i, /^fbclid$/i, /^gclid$/i, /^dclid$/i, /^msclkid$/i, /^mc_(cid|eid)$/i,
  /^_hsenc$/i, /^_hsmi$/i, /^igshid$/i, /^yclid$/i, /^share_token$/i, /^scene$/i, /^wfr$/i, /^isappinstalled$/i,
  /^ref$/i, /^ref_src$/i, /^cmpid$/i, /^ocid$/i,
];

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
 * The form of a link two sources agree on: https, lower-case host, no default port, no fragment, no tracking
 * parameters, sorted query. Used as a dedupe key only; the item keeps the link the source gave.
 */
export function canonicalUrl(link: string, trackingParams: RegExp[] = TRACKING_PARAMS): string | undefined {
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
  const kept = [...url.searchParams].filter(([name]) => !trackingParams.some((re) => re.test(name)));
  kept.sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1));
  url.search = new URLSearchParams(kept).toString();
  return url.href;
}
