// Older pages and filtered views of a feed (?page, ?limit, ?filter, ?filterout, ?since): what the regular
// feeds (FeedSet) and the tag feeds composed in the URL (ComposedFeeds) share, so both answer every query alike.
import { LRUCache } from 'lru-cache';
import type { Item } from '../model.ts';
import { FeedPageNotFoundError, FeedQueryError } from './errors.ts';
import { EMPTY_FEED_DATE, type FeedDocument } from './feed-document.ts';
import { newestUpdated } from './feed-index.ts';
import { feedPage } from './feed-pages.ts';
import { queryString, type FeedQuery } from './feed-query.ts';
import type { FeedSpec } from './feed-specs.ts';
import { filterItems } from './filter-pass.ts';
import { renderFormat, renderFormatAsync, type FeedFormat, type RenderContext, type RenderedFeed } from './render-feed.ts';

export interface FeedViewsOptions {
  /** rendered pages and filtered views kept, at most (default 500) */
  maxViews?: number;
  /** and their bytes (plain + gzip + brotli), at most (default 64 MiB) */
  maxViewBytes?: number;
}

/** The feed a view is made of, as of one content generation. */
export interface ViewedFeed {
  spec: FeedSpec;
  /** the signature of all the feed's items and of what its bytes depend on: views of another generation are stale */
  generation: string;
  /** items per page when the query names no limit: the configured limit */
  pageSize: number;
}

/**
 * The document a query makes of a feed: its items updated since `since`, filtered, then page `page`. Without
 * ?filter/?filterout it is made at once; a filter runs in slices (filter-pass.ts), so the document comes later.
 * Throws (or rejects with) FeedQueryError (a filter over its budget), FilterBusyError (past its deadline) and
 * FeedPageNotFoundError (past the last page).
 */
export function viewDocument(spec: FeedSpec, query: FeedQuery, pageSize: number): FeedDocument | Promise<FeedDocument> {
  const since = query.since?.instant;
  const recent = since ? spec.all.filter((item) => item.updated >= since) : spec.all;
  const page = (matching: readonly Item[]) => feedPage(spec, matching, query, query.limit ?? pageSize, newestUpdated(spec.all) ?? EMPTY_FEED_DATE);
  if (!query.filter && !query.filterout) return page(recent);
  return filterItems(recent, query).then(page);
}

/**
 * Views rendered on first request and kept in a bounded LRU keyed by feed, format, canonical query, page size
 * and the feed's generation, so a repeated request never renders again while nothing changed. Refusals (a page
 * past the end, a filter over its budget) are remembered the same way, so they are not worked out again either.
 */
export class FeedViews {
  /** views rendered (cache misses): a repeated request does not add to it */
  rendered = 0;
  readonly #views: LRUCache<string, RenderedFeed>;
  readonly #refusals = new LRUCache<string, Error>({ max: 500 });
  /** filtered views being made: concurrent requests for one view wait for the same pass */
  readonly #pending = new Map<string, Promise<RenderedFeed>>();

  constructor(options: FeedViewsOptions = {}) {
    this.#views = new LRUCache<string, RenderedFeed>({
      max: options.maxViews ?? 500,
      maxSize: options.maxViewBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (feed) => feed.bytes + feed.gzip.length + feed.brotli.length || 1,
    });
  }

  /**
   * The view of `feed` that `query` asks for, in `format`; throws as viewDocument does. A filtered view that is
   * not cached yet comes as a promise (rejected as viewDocument throws); every other view at once.
   */
  view(feed: ViewedFeed, format: FeedFormat, query: FeedQuery, ctx: RenderContext): RenderedFeed | Promise<RenderedFeed> {
    const key = `${feed.spec.path}\0${format}\0${queryString(query)}\0${feed.pageSize}\0${feed.generation}`;
    const cached = this.#views.get(key);
    if (cached) return cached;
    const refused = this.#refusals.get(key);
    if (refused) throw refused;
    const pending = this.#pending.get(key);
    if (pending) return pending;
    let doc: FeedDocument | Promise<FeedDocument>;
    try {
      doc = viewDocument(feed.spec, query, feed.pageSize);
    } catch (err) {
      throw this.#refused(key, err);
    }
    if (!(doc instanceof Promise)) return this.#keep(key, renderFormat(doc, ctx, format));
    // Compressed off the event loop too: the whole point of a filtered view coming later is not to hold it.
    const made = doc.then((filtered) => renderFormatAsync(filtered, ctx, format)).then(
      (rendered) => this.#keep(key, rendered),
      (err: unknown) => {
        throw this.#refused(key, err);
      },
    ).finally(() => this.#pending.delete(key));
    this.#pending.set(key, made);
    return made;
  }

  #keep(key: string, rendered: RenderedFeed): RenderedFeed {
    this.rendered++;
    this.#views.set(key, rendered);
    return rendered;
  }

  /** Remembers a refusal that depends on the query alone; a busy server's is not one of them. */
  #refused(key: string, err: unknown): unknown {
    if (err instanceof FeedQueryError || err instanceof FeedPageNotFoundError) this.#refusals.set(key, err);
    return err;
  }
}
