// One source through fetch -> parse -> normalize -> dedupe, producing changes for the store. The store
// itself is written by the cycle (fetch-cycle.ts), once for all sources.
import type { Dispatcher } from 'undici';
import type { SourceConfig } from './config/types.ts';
import { DEFAULT_MERGE_OPTIONS, type MergeOptions, type MergeResult, type StoredItems } from './dedupe/merge.ts';
import type { KeyChoice } from './dedupe/source-key.ts';
import { SourceHttpError } from './fetch/errors.ts';
import { fetchSource, type FetchOptions, type FetchResult } from './fetch/fetch-source.ts';
import type { Item, SourceState } from './model.ts';
import { feedTitleOf } from './normalize/feed-title.ts';
import { resolveUrl, TRACKING_PARAMS, type TrackingParams } from './normalize/urls.ts';
import type { PageSelectors } from './config/selector.ts';
import type { ParsedFeed } from './parse/types.ts';
import type { DocumentContext } from './read-document.ts';
import { nextAttemptAfterFailure } from './schedule/backoff.ts';
import { freshUntil, type FreshnessBounds, type FreshnessHints } from './schedule/freshness.ts';
import { rememberPruned } from './store/pruned-keys.ts';
import { mergeSourceItems } from './source-merge.ts';

export type { DocumentContext } from './read-document.ts';

/**
 * Parses and normalizes one fetched body (a page through its selectors when `select` is given). The service reads
 * on its worker pool (workers/read-pool.ts), off the serving thread; without one, ingestSource reads in-thread.
 */
export type DocumentReading = (text: string, ctx: DocumentContext, select?: PageSelectors) => Promise<{ feed: ParsedFeed; items: Item[] }>;

/**
 * The in-thread reader: for the CLI's one-off reads and tests that run a bare cycle. The readers are imported when a
 * document is read, not by every process that starts a cycle: the page reader (cheerio) took about 0.3 CPU-seconds
 * to load, and the feed reader's parsers and sanitizer (rss-parser, sax, htmlparser2, sanitize-html) about 0.1 on
 * every start of the service, whose serving thread reads nothing (its read workers do).
 */
export const readInThread: DocumentReading = async (text, ctx, select) => (select
  ? (await import('./read-page.ts')).readPage(text, select, ctx)
  : (await import('./read-document.ts')).readDocument(text, ctx));

export interface IngestContext {
  fetch: FetchOptions;
  store: StoredItems;
  /**
   * what dedupe compares a source's fresh items with, when the store must be asked for them first (the PostgreSQL
   * store reads only the stored items these could match); default `store`
   */
  storeFor?: (sourceId: string, fresh: readonly Item[]) => Promise<StoredItems>;
  /**
   * applies a source's changes to the store at once (synchronously), so the next source dedupes against them;
   * returns the new items it refused (already past retention), whose keys the source then remembers as pruned
   */
  apply: (changes: MergeResult) => Item[];
  now: () => Date;
  idAuthority: string;
  /** config fetch.minIntervalMinutes/maxIntervalMinutes: bounds on the wait a source's freshness hints ask for */
  freshness?: FreshnessBounds;
  /** config dedupe.*: tracking parameters and the same-title window */
  dedupe?: { trackingParams: TrackingParams; merge: MergeOptions };
  /** parses and normalizes a fetched body; default readInThread */
  read?: DocumentReading;
  /** the forward proxy's dispatcher for a source (its proxy:, fetch.proxy, HTTP(S)_PROXY); undefined: direct */
  proxyFor?: (source: SourceConfig) => Dispatcher | undefined;
}

export interface IngestOutcome {
  sourceId: string;
  state: SourceState;
  changes?: MergeResult;
  status: 'ok' | 'not-modified' | 'error';
  error?: Error;
  /** the URL asked first: the configured one, or where an earlier permanent redirect sent it */
  url: string;
  /** set when this fetch met a permanent redirect: the URL the next fetch will use */
  movedTo?: string;
  /** warnings of the document read that the source's previous state did not carry: to log, once each */
  warnings?: string[];
  /** set when this fetch's body declared no charset and the guess differs from the last one: to be logged */
  charsetGuess?: { label: string; confidence: number };
  /** set when this fetch changed the source's dedupe key (too many blank or repeated guids, links, …) */
  keySwitch?: Required<KeyChoice>;
  /** items of the document that were not candidates: pruned by retention earlier, or dropped by the source's filter */
  skipped?: { pruned: number; filtered: number };
  bytes: number;
  ms: number;
}

function proxied(dispatcher: Dispatcher | undefined): Partial<FetchOptions> {
  return dispatcher ? { dispatcher, isProxied: true } : {};
}

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

/** The URL to fetch: the configured one, unless a permanent redirect of exactly that URL moved it. */
export function fetchUrlOf(source: SourceConfig, state: SourceState): string {
  return state.movedTo && state.movedFrom === source.url ? state.movedTo : source.url;
}

/** Fetches and reads one source. Never throws: a failure is recorded on the returned state. */
export async function ingestSource(source: SourceConfig, previous: SourceState, ctx: IngestContext): Promise<IngestOutcome> {
  const started = ctx.now();
  const startedMs = performance.now();
  const url = fetchUrlOf(source, previous);
  const base: SourceState = { ...withoutMove(previous, source.url), id: source.id, lastFetch: started.toISOString() };
  const elapsed = () => Math.round(performance.now() - startedMs);
  let result: FetchResult | undefined;
  try {
    result = await fetchSource({
      sourceId: source.id,
      url,
      ...(previous.etag ? { etag: previous.etag } : {}),
      ...(previous.lastModified ? { lastModified: previous.lastModified } : {}),
      ...(source.encoding ? { encoding: source.encoding } : {}),
      ...(source.type === 'html' ? { document: 'html' as const } : {}),
      // The credentials are for the configured origin: not for wherever a permanent redirect moved the source.
      ...(source.auth && sameOrigin(url, source.url) ? { auth: source.auth } : {}),
      ...(source.headers && sameOrigin(url, source.url) ? { headers: source.headers } : {}),
    }, { ...ctx.fetch, ...proxied(ctx.proxyFor?.(source)), now: ctx.now });
    const moved = result.permanentUrl ? { movedTo: result.permanentUrl, movedFrom: source.url } : {};
    const done = { sourceId: source.id, url, ...(result.permanentUrl ? { movedTo: result.permanentUrl } : {}) };
    if (result.kind === 'not-modified') {
      const state = succeeded({ ...base, ...moved, httpStatus: 304 }, started);
      // A 304 may carry fresher validators (RFC 9110 §15.4.5); keep the old ones otherwise.
      if (result.etag) state.etag = result.etag;
      if (result.lastModified) state.lastModified = result.lastModified;
      // A 304 says nothing of the feed's <ttl>; the one read last time still holds.
      keepFresh(state, source, { ...previous.feedHints, cacheControl: result.cacheControl, expires: result.expires }, started, ctx);
      return { ...done, state, status: 'not-modified', bytes: 0, ms: elapsed() };
    }
    const read = ctx.read ?? readInThread;
    const { feed, items } = await read(result.text, {
      sourceId: source.id,
      url: source.url,
      documentUrl: result.url,
      timezone: source.timezone,
      now: started,
      idAuthority: ctx.idAuthority,
      trackingParams: ctx.dedupe?.trackingParams ?? TRACKING_PARAMS,
    }, source.type === 'html' ? source.select : undefined);
    const { keyChoice, fresh, filteredOut, changes } = await mergeSourceItems(items, source, previous, started, {
      idAuthority: ctx.idAuthority,
      merge: ctx.dedupe?.merge ?? DEFAULT_MERGE_OPTIONS,
      storeFor: async (sourceId, candidates) => (ctx.storeFor ? ctx.storeFor(sourceId, candidates) : ctx.store),
    });
    const prunedKeys = rememberPruned(fresh.keys, ctx.apply(changes), started);
    const { prunedKeys: _old, dedupeKey: _key, warnings: _warnings, charsetGuess: _guess, ...kept } = base;
    const warnings = feed.warnings ?? [];
    const newWarnings = warnings.filter((w) => !previous.warnings?.includes(w));
    const feedTitle = feedTitleOf(feed);
    const state = succeeded({
      ...kept,
      ...(prunedKeys ? { prunedKeys } : {}),
      ...(keyChoice.mode !== 'guid' ? { dedupeKey: keyChoice.mode } : {}),
      ...(result.charsetGuess ? { charsetGuess: result.charsetGuess.label } : {}),
      ...moved,
      httpStatus: result.status,
      itemsSeen: items.length,
      ...(feedTitle ? { feedTitle } : {}),
      ...(feed.link ? { feedLink: feed.link } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
    }, started);
    const image = resolveUrl(feed.image, result.url);
    if (image) state.feedImage = image;
    else delete state.feedImage;
    if (result.etag) state.etag = result.etag;
    else delete state.etag;
    if (result.lastModified) state.lastModified = result.lastModified;
    else delete state.lastModified;
    const feedHints = { ...optional('ttlMinutes', feed.ttl), ...optional('updatePeriod', feed.updatePeriod), ...optional('updateFrequency', feed.updateFrequency) };
    if (Object.keys(feedHints).length > 0) state.feedHints = feedHints;
    else delete state.feedHints;
    keepFresh(state, source, { ...feedHints, cacheControl: result.cacheControl, expires: result.expires }, started, ctx);
    return {
      ...done, state, changes, status: 'ok', bytes: result.bytes, ms: elapsed(),
      ...(fresh.skipped > 0 || filteredOut > 0 ? { skipped: { pruned: fresh.skipped, filtered: filteredOut } } : {}),
      ...(newWarnings.length > 0 ? { warnings: newWarnings } : {}),
      ...(keyChoice.switchedFrom ? { keySwitch: keyChoice as Required<KeyChoice> } : {}),
      ...(result.charsetGuess && result.charsetGuess.label !== previous.charsetGuess ? { charsetGuess: result.charsetGuess } : {}),
    };
  } catch (err) {
    const error = err as Error & { status?: number };
    const failures = (previous.consecutiveFailures ?? 0) + 1;
    const retryAfter = error instanceof SourceHttpError ? error.retryAfter : undefined;
    const status = typeof error.status === 'number' ? error.status : result?.kind === 'ok' ? result.status : undefined;
    const { httpStatus: _stale, ...rest } = base;
    const state: SourceState = {
      ...rest,
      // A body that was no feed still moved the source if a permanent redirect led there.
      ...(result?.permanentUrl ? { movedTo: result.permanentUrl, movedFrom: source.url } : {}),
      consecutiveFailures: failures,
      lastError: error.message,
      failingSince: failures === 1 || !previous.failingSince ? started.toISOString() : previous.failingSince,
      nextFetch: nextAttemptAfterFailure(failures, started, retryAfter).toISOString(),
      ...(status !== undefined ? { httpStatus: status } : {}),
    };
    return {
      sourceId: source.id, url, state, status: 'error', error, bytes: result?.kind === 'ok' ? result.bytes : 0, ms: elapsed(),
      ...(result?.permanentUrl ? { movedTo: result.permanentUrl } : {}),
    };
  }
}

/**
 * The next fetch is no earlier than the source's freshness hints allow (ttl, sy:*, Cache-Control, Expires),
 * unless the operator chose the schedule over them (ignoreSourceTtl).
 */
function keepFresh(state: SourceState, source: SourceConfig, hints: FreshnessHints, started: Date, ctx: IngestContext): void {
  if (source.ignoreSourceTtl || !ctx.freshness) return;
  const until = freshUntil(hints, started, ctx.freshness);
  if (until) state.nextFetch = until.toISOString();
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function succeeded(state: SourceState, started: Date): SourceState {
  const { lastError: _error, nextFetch: _next, failingSince: _since, ...rest } = state;
  return { ...rest, lastSuccess: started.toISOString(), consecutiveFailures: 0 };
}

/** Drops a recorded move that no longer applies because the config now names another URL. */
function withoutMove(state: SourceState, configuredUrl: string): SourceState {
  if (state.movedFrom === configuredUrl) return state;
  const { movedTo: _to, movedFrom: _from, ...rest } = state;
  return rest;
}
