// One source through fetch -> parse -> normalize -> dedupe, producing changes for the store. The store
// itself is written by the cycle (app.ts), once for all sources.
import type { SourceConfig } from './config/types.ts';
import { DEFAULT_MERGE_OPTIONS, mergeItems, type MergeOptions, type MergeResult, type StoredItems } from './dedupe/merge.ts';
import { fetchSource, type FetchOptions } from './fetch/fetch-source.ts';
import type { Item, SourceState } from './model.ts';
import { normalizeItem } from './normalize/normalize-item.ts';
import { TRACKING_PARAMS, type TrackingParams } from './normalize/urls.ts';
import { SourceParseError } from './parse/errors.ts';
import { parseFeed } from './parse/parse-feed.ts';
import type { ParsedFeed } from './parse/types.ts';

export interface IngestContext {
  fetch: FetchOptions;
  store: StoredItems;
  /** applies a source's changes to the store at once (synchronously), so the next source dedupes against them */
  apply: (changes: MergeResult) => void;
  now: () => Date;
  idAuthority: string;
  /** config dedupe.*: tracking parameters and the same-title window */
  dedupe?: { trackingParams: TrackingParams; merge: MergeOptions };
}

export interface IngestOutcome {
  sourceId: string;
  state: SourceState;
  changes?: MergeResult;
  status: 'ok' | 'not-modified' | 'error';
  error?: Error;
  bytes: number;
  ms: number;
}

/** Fetches and reads one source. Never throws: a failure is recorded on the returned state. */
export async function ingestSource(source: SourceConfig, previous: SourceState, ctx: IngestContext): Promise<IngestOutcome> {
  const started = ctx.now();
  const startedMs = performance.now();
  const base: SourceState = { ...previous, id: source.id, lastFetch: started.toISOString() };
  const elapsed = () => Math.round(performance.now() - startedMs);
  try {
    const result = await fetchSource({
      sourceId: source.id,
      url: source.url,
      ...(previous.etag ? { etag: previous.etag } : {}),
      ...(previous.lastModified ? { lastModified: previous.lastModified } : {}),
      ...(source.encoding ? { encoding: source.encoding } : {}),
    }, ctx.fetch);
    if (result.kind === 'not-modified') {
      const state = withoutError({ ...base, httpStatus: 304, lastSuccess: started.toISOString(), consecutiveFailures: 0 });
      return { sourceId: source.id, state, status: 'not-modified', bytes: 0, ms: elapsed() };
    }
    const { feed, items } = await readDocument(result.text, {
      sourceId: source.id,
      url: source.url,
      documentUrl: result.url,
      timezone: source.timezone,
      now: started,
      idAuthority: ctx.idAuthority,
      trackingParams: ctx.dedupe?.trackingParams ?? TRACKING_PARAMS,
    });
    const changes = mergeItems(ctx.store, source.id, items, started, ctx.dedupe?.merge ?? DEFAULT_MERGE_OPTIONS);
    ctx.apply(changes);
    const state: SourceState = withoutError({
      ...base,
      httpStatus: result.status,
      lastSuccess: started.toISOString(),
      consecutiveFailures: 0,
      itemsSeen: items.length,
      ...(feed.title ? { feedTitle: feed.title } : {}),
      ...(feed.link ? { feedLink: feed.link } : {}),
    });
    if (result.etag) state.etag = result.etag;
    else delete state.etag;
    if (result.lastModified) state.lastModified = result.lastModified;
    else delete state.lastModified;
    return { sourceId: source.id, state, changes, status: 'ok', bytes: result.bytes, ms: elapsed() };
  } catch (err) {
    const error = err as Error & { status?: number };
    const state: SourceState = {
      ...base,
      consecutiveFailures: (previous.consecutiveFailures ?? 0) + 1,
      lastError: error.message,
      ...(typeof error.status === 'number' ? { httpStatus: error.status } : {}),
    };
    return { sourceId: source.id, state, status: 'error', error, bytes: 0, ms: elapsed() };
  }
}

export interface DocumentContext {
  sourceId: string;
  /** the source's configured URL, for error messages */
  url: string;
  /** where the body was read from (after redirects): base of relative links and xml:base */
  documentUrl: string;
  timezone: string;
  now: Date;
  idAuthority: string;
  trackingParams: TrackingParams;
}

/** One feed body to normalized Items, as the service stores them (before dedupe). Throws SourceParseError. */
export async function readDocument(text: string, ctx: DocumentContext): Promise<{ feed: ParsedFeed; items: Item[] }> {
  const feed = await parseFeed(text, { documentUrl: ctx.documentUrl }).catch((err: Error) => {
    throw new SourceParseError(ctx.sourceId, ctx.url, err);
  });
  const normalizeCtx = {
    sourceId: ctx.sourceId,
    feedUrl: ctx.documentUrl,
    ...(feed.link ? { feedLink: feed.link } : {}),
    timezone: ctx.timezone,
    now: ctx.now,
    idAuthority: ctx.idAuthority,
    trackingParams: ctx.trackingParams,
  };
  return { feed, items: feed.items.map((raw) => normalizeItem(raw, normalizeCtx)) };
}

function withoutError(state: SourceState): SourceState {
  const { lastError: _drop, ...rest } = state;
  return rest;
}
