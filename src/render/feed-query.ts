// The query parameters a reader may add to a feed URL (?page, ?limit, ?filter, ?filterout, ?since): read,
// validated, and written back in one canonical order, which is both the self link and the cache key.
import { FeedQueryError } from './errors.ts';
import { compileTextPattern, type TextPattern } from './item-filter.ts';

export { FeedQueryError };

export interface FeedQuery {
  /** 1-based RFC 5005 page */
  page: number;
  /** items per page; the configured limit when absent */
  limit?: number;
  /** keep only items whose title or summary matches */
  filter?: TextPattern;
  /** drop items whose title or summary matches */
  filterout?: TextPattern;
  /** keep only items updated at or after this instant: as given (for links), and in UTC (to compare) */
  since?: { text: string; instant: string };
}

const KNOWN = ['filter', 'filterout', 'since', 'limit', 'page'] as const;
export const MAX_LIMIT = 500;
const MAX_PAGE = 100_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * The feed query of a URL's parameters, or undefined when it has none of ours (then the prepared feed is
 * served). Other parameters, such as a reader's cache buster, are ignored. Throws FeedQueryError.
 */
export function parseFeedQuery(params: URLSearchParams): FeedQuery | undefined {
  if (!KNOWN.some((name) => params.has(name))) return undefined;
  const single = (name: (typeof KNOWN)[number]): string | undefined => {
    const values = params.getAll(name);
    if (values.length > 1) throw new FeedQueryError(name, 'given more than once');
    return values[0];
  };
  const query: FeedQuery = { page: integer('page', single('page'), 1, MAX_PAGE) ?? 1 };
  const limit = integer('limit', single('limit'), 1, MAX_LIMIT);
  if (limit !== undefined) query.limit = limit;
  const filter = single('filter');
  if (filter !== undefined) query.filter = compileTextPattern('filter', filter);
  const filterout = single('filterout');
  if (filterout !== undefined) query.filterout = compileTextPattern('filterout', filterout);
  const since = single('since');
  // "+08:00" written raw in a URL arrives as " 08:00" (form decoding); it can only have meant the plus.
  if (since !== undefined) query.since = { text: since.replace(' ', '+'), instant: isoInstant(since.replace(' ', '+')) };
  return query;
}

/**
 * '' or '?…' in canonical order; `page` 1 is left out, since page 1 is the feed itself. Values stay as the
 * reader wrote them and are escaped no more than a URL needs, so a feed fetched at its canonical URL names
 * that same URL as its self link (validators warn when they differ).
 */
export function queryString(query: FeedQuery, page = query.page): string {
  const params: [string, string][] = [];
  if (query.filter) params.push(['filter', query.filter.source]);
  if (query.filterout) params.push(['filterout', query.filterout.source]);
  if (query.since) params.push(['since', query.since.text]);
  if (query.limit !== undefined) params.push(['limit', String(query.limit)]);
  if (page > 1) params.push(['page', String(page)]);
  return params.length === 0 ? '' : `?${params.map(([k, v]) => `${k}=${escapeQueryValue(v)}`).join('&')}`;
}

/** RFC 3986 query characters that need no escaping stay readable: /regex/, dates with ":" and "+". */
function escapeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%(2F|3A|40|2C|24|3B)/g, (escaped) => decodeURIComponent(escaped));
}

function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,7}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new FeedQueryError(name, `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return Number(value);
}

function isoInstant(value: string): string {
  // A date-time without a zone is read as UTC, never as the server's local time.
  const zoned = /T[\d:.]+$/i.test(value) ? `${value}Z` : value;
  const ms = ISO_DATE.test(value) ? Date.parse(zoned) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new FeedQueryError('since', `must be an ISO 8601 date or date-time such as 2025-03-09 or 2025-03-09T18:42:00Z, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return new Date(ms).toISOString();
}
