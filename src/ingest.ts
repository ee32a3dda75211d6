// One source through fetch -> parse -> normalize -> dedupe, producing changes for the store. The store
// itself is written by the cycle (app.ts), once for all sources.
import type { SourceConfig } from './config/types.ts';
import { mergeItems, type MergeResult, type StoredItems } from './dedupe/merge.ts';
import { fetchSource, type FetchOptions } from './fetch/fetch-source.ts';
import type { SourceState } from './model.ts';
import { normalizeItem } from './normalize/normalize-item.ts';
import { parseFeed } from './parse/parse-feed.ts';
import { applySourceFilter } from './rules/source-filter.ts';

export interface IngestContext {
  fetch: FetchOptions;
  store: StoredItems;
  /** applies a source's changes to the store at once (synchronously), so the next source dedupes against them */
  apply: (changes: MergeResult) => void;
  now: () => Date;
  idAuthority: string;
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
    const feed = await parseFeed(result.text).catch((err: Error) => {
      throw Object.assign(new Error(`source ${source.id} (${source.url}): ${err.message}`), { cause: err });
    });
    const normalizeCtx = {
      sourceId: source.id,
      feedUrl: result.url,
      ...(feed.link ? { feedLink: feed.link } : {}),
      timezone: source.timezone,
      now: started,
      idAuthority: ctx.idAuthority,
    };
    const items = feed.items.map((raw) => normalizeItem(raw, normalizeCtx));
    // The source's filter drops items before dedupe, so they are never stored.
    const changes = mergeItems(ctx.store, source.id, applySourceFilter(items, source.filter), started);
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

function withoutError(state: SourceState): SourceState {
  const { lastError: _drop, ...rest } = state;
  return rest;
}
