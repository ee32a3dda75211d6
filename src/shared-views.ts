// Older pages and filtered views of a feed (?page, ?limit, ?filter, ?filterout, ?since) on the PostgreSQL store,
// where no instance holds a feed's items beyond its first page. A view is read from the database on its first
// request, cut and filtered as the embedded store cuts and filters its in-memory list (render/feed-views.ts), so
// the same items give the same bytes and ETag, rendered by the same code, and kept until the next publication.
// Tag feeds composed in the URL (tags/ai+china), which no renderer publishes, are views too, their first page included:
// the latest feed's items whose tags hold one of the query's sets, with the embedded store's head and cache bounds.
//
// What one request may cost is bounded as on the embedded store, plus what reading adds: a filter runs through one
// pass of slices with the embedded store's budget and deadline (render/filter-pass.ts) over the newest
// MAX_FILTERED_ITEMS candidates, read CHUNK_ITEMS at a time, so a request holds one chunk and one page in memory;
// at most VIEWS_AT_ONCE views are read at once, so readers never take every connection from fetching and rendering.
import { LRUCache } from 'lru-cache';
import type pg from 'pg';
import type { Config } from './config/types.ts';
import type { Item, SourceState } from './model.ts';
import { FeedPageNotFoundError, FeedQueryError, FilterBusyError } from './render/errors.ts';
import { EMPTY_FEED_DATE, type FeedDocument } from './render/feed-document.ts';
import { pageDocument } from './render/feed-pages.ts';
import { queryString, type FeedQuery } from './render/feed-query.ts';
import { COMPOSED_VIEWS, composedHead, knownTagQuery, MAX_COMPOSED_FEEDS } from './render/composed-feeds.ts';
import { allTags, feedHeads, type FeedHead, type FeedSpec, type SiteInfo } from './render/feed-specs.ts';
import { FILTER_DEADLINE_MS, FilterPass } from './render/filter-pass.ts';
import { MAX_SEARCHED_HTML } from './render/item-filter.ts';
import { CONTENT_TYPES, renderFormatAsync, type FeedFormat, type RenderContext, type RenderedFeed } from './render/render-feed.ts';
import type { TagQuery } from './render/tag-query.ts';
import type { RuleTagging } from './rules/tagger.ts';
import { siteContext } from './site-context.ts';
import { countRows, countRowsBefore, newestUpdatedOf, readFeedPage, readItems, scanSearched, type RowsQuery, type SearchedItem } from './store/pg/feed-rows.ts';
import { newestFirst } from './store/retention.ts';

/**
 * Items of a feed (after ?since) a filtered view looks at: the newest ones. The embedded store filters every item
 * of the feed; it holds them in memory anyway. Here each is read from the database, and 10,000 is the size the
 * filter's budget was measured for (80-250 ms of everyday patterns).
 */
export const MAX_FILTERED_ITEMS = 10_000;
/** items read from the database at once while filtering */
export const CHUNK_ITEMS = 500;
/** views made from the database at the same time, per instance; the others wait their turn */
export const VIEWS_AT_ONCE = 2;
/** views waiting for their turn, at most: past it a request is answered 503 at once */
const MAX_WAITING = 64;

/** What a view is made with besides its query: the feed, and the context of the publication it belongs to. */
export interface ViewRequest {
  head: FeedHead;
  format: FeedFormat;
  query: FeedQuery;
  ctx: RenderContext;
  /** items per page when the query names no limit: the configured limit */
  pageSize: number;
  /** a failing source's error item, shown in its own feed as the renderer shows it */
  extra?: Item;
  /** the publication the view is of: views of an older one are not served again */
  revision: number;
  /** a tag feed composed in the URL: the sets of tags its items hold one of (the head names the canonical query) */
  anyOf?: TagQuery['anyOf'];
}

/** The site a feed's views are made for: the config and the sources' states in force. */
export interface ViewedSite {
  config: Config;
  states: Readonly<Record<string, SourceState>>;
  /** the hubs every feed names */
  hubs: readonly string[];
  tagging: RuleTagging;
}

/** What the views of a site are made with, worked out once per config and states. */
interface SiteViews extends Pick<ViewedSite, 'config' | 'states'> {
  info: SiteInfo;
  heads: Map<string, FeedHead>;
  /** every tag of the site: a composed feed names these only */
  tags: Set<string>;
  ctx: RenderContext;
  failing: Map<string, Item>;
  pageSize: number;
}

/** The database could not make a view in time: too many readers at once (HTTP 503, try again). */
export class ViewsBusyError extends FilterBusyError {
  constructor(param: string) {
    super(param, FILTER_DEADLINE_MS);
    this.name = 'ViewsBusyError';
    this.message = `${param}: the server is busy reading other views from its database; try again shortly`;
  }
}

export class SharedViews {
  readonly #pool: pg.Pool;
  readonly #views = new LRUCache<string, RenderedFeed>({
    max: 200, maxSize: 32 * 1024 * 1024, sizeCalculation: (feed) => feed.bytes + feed.gzip.length + feed.brotli.length || 1,
  });
  // Composed tag feeds, which any reader can make up, have caches of their own with the embedded store's bounds
  // (render/composed-feeds.ts): the first pages of MAX_COMPOSED_FEEDS feeds in every format, and their views.
  readonly #composedFeeds = new LRUCache<string, RenderedFeed>({ max: MAX_COMPOSED_FEEDS * Object.keys(CONTENT_TYPES).length });
  readonly #composedViews = new LRUCache<string, RenderedFeed>({
    max: COMPOSED_VIEWS.maxViews, maxSize: COMPOSED_VIEWS.maxViewBytes, sizeCalculation: (feed) => feed.bytes + feed.gzip.length + feed.brotli.length || 1,
  });
  readonly #refusals = new LRUCache<string, Error>({ max: 500 });
  readonly #pending = new Map<string, Promise<RenderedFeed>>();
  readonly #turns = new Turns(VIEWS_AT_ONCE, MAX_WAITING);
  #site: SiteViews | undefined;
  /** views read from the database (cache misses), refused ones included */
  made = 0;

  readonly #maxFiltered: number;
  readonly #chunk: number;

  constructor(pool: pg.Pool, options: { maxFilteredItems?: number; chunkItems?: number } = {}) {
    this.#pool = pool;
    this.#maxFiltered = options.maxFilteredItems ?? MAX_FILTERED_ITEMS;
    this.#chunk = options.chunkItems ?? CHUNK_ITEMS;
  }

  /**
   * The view of feed `path` that `query` asks for, with the heads, render context and error items of `site` (worked
   * out again only when its config or its states change), as of publication `revision`; undefined for a feed that
   * does not exist. Rejects as view() does.
   */
  feedView(site: ViewedSite, path: string, format: FeedFormat, query: FeedQuery, revision: number): Promise<RenderedFeed> | undefined {
    const { heads, ctx, failing, pageSize } = this.#siteOf(site);
    const head = heads.get(path);
    if (!head) return this.composedView(site, path, format, query, revision);
    const extra = head.kind === 'source' ? failing.get(head.name) : undefined;
    return this.view({ head, format, query, ctx, pageSize, revision, ...(extra ? { extra } : {}) });
  }

  /**
   * A tag feed composed in the URL (tags/ai+china, tags/ai,finance), its first page included (the renderer publishes
   * no composed feed), as the embedded store's ComposedFeeds makes it from the same items; undefined, synchronously
   * and with nothing read, for a path that is no composed query of known tags (404, as on the embedded store).
   */
  composedView(site: ViewedSite, path: string, format: FeedFormat, query: FeedQuery, revision: number): Promise<RenderedFeed> | undefined {
    const { info, tags, ctx, pageSize } = this.#siteOf(site);
    const tagQuery = knownTagQuery(path, tags);
    if (!tagQuery) return undefined;
    // No error item: the embedded store composes from its stored items, and a failing source's is shown in its own feed only.
    return this.view({ head: composedHead(tagQuery, info), format, query, ctx, pageSize, revision, anyOf: tagQuery.anyOf });
  }

  /** The heads, render context and error items of `site`, worked out again only when its config or its states change. */
  #siteOf(site: ViewedSite): SiteViews {
    if (this.#site?.config !== site.config || this.#site.states !== site.states) {
      const { site: info, titles, ctx, failing } = siteContext(site.config, site.states, site.hubs, site.tagging);
      const heads = new Map(feedHeads(info, titles).map((h) => [h.path, h]));
      this.#site = { config: site.config, states: site.states, info, heads, tags: new Set(allTags(info)), ctx, failing, pageSize: info.limit };
    }
    return this.#site;
  }

  /** The view a request asks for; rejects with FeedQueryError, FeedPageNotFoundError or FilterBusyError. */
  view(request: ViewRequest): Promise<RenderedFeed> {
    const { head, format, query, pageSize, extra, revision } = request;
    const key = `${revision}\0${head.path}\0${format}\0${queryString(query)}\0${pageSize}\0${extra ? JSON.stringify(extra) : ''}`;
    const first = query.page === 1 && query.limit === undefined && !query.filter && !query.filterout && !query.since;
    const cache = !request.anyOf ? this.#views : first ? this.#composedFeeds : this.#composedViews;
    const kept = cache.get(key);
    if (kept) return Promise.resolve(kept);
    const refused = this.#refusals.get(key);
    if (refused) return Promise.reject(refused);
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const param = query.filter ? 'filter' : query.filterout ? 'filterout' : query.since ? 'since' : 'page';
    const made = this.#turns.run(param, () => this.#document(request))
      .then((doc) => renderFormatAsync(doc, request.ctx, format))
      .then((rendered) => {
        cache.set(key, rendered);
        return rendered;
      }, (err: unknown) => {
        // A refusal that depends on the query alone is remembered; a busy server's or a database error is not.
        if (err instanceof FeedQueryError || err instanceof FeedPageNotFoundError) this.#refusals.set(key, err);
        throw err;
      })
      .finally(() => this.#pending.delete(key));
    this.#pending.set(key, made);
    return made;
  }

  async #document({ head, query, pageSize, extra, anyOf }: ViewRequest): Promise<FeedDocument> {
    this.made++;
    const rows: RowsQuery = { ...(query.since ? { since: query.since.instant } : {}), ...(anyOf ? { anyOf } : {}) };
    // ?since applies to the error item as to any item (the embedded store filters its whole list).
    const shown = extra && (!query.since || extra.updated >= query.since.instant) ? extra : undefined;
    const limit = query.limit ?? pageSize;
    const { items, count } = query.filter || query.filterout
      ? await this.#filtered(head, query, rows, shown, limit)
      : await this.#page(head, rows, shown, (query.page - 1) * limit, limit);
    // Renderers read the head of a spec only; the items are the page's.
    const spec: FeedSpec = { ...head, items, all: items, count };
    // Only an empty page shows this date: the newest update of the whole feed, error item included.
    const emptyUpdated = items.length > 0 ? EMPTY_FEED_DATE : await this.#newestUpdated(head, extra, anyOf);
    return pageDocument(spec, items, query, limit, emptyUpdated, count);
  }

  /** Items `offset` to `offset + limit` of the feed with the error item in its place: one page read, two counts. */
  async #page(head: FeedHead, rows: RowsQuery, extra: Item | undefined, offset: number, limit: number): Promise<{ items: Item[]; count: number }> {
    if (!extra) return readFeedPage(this.#pool, head, offset, limit, rows);
    const rank = await countRowsBefore(this.#pool, head, rows, extra);
    // Before the page, the error item moves the page's stored items one place up; within it, it takes a place.
    const page = await readFeedPage(this.#pool, head, rank < offset ? offset - 1 : offset, limit, rows);
    const items = page.items;
    if (rank >= offset && rank < offset + limit) {
      items.splice(rank - offset, 0, extra);
      items.length = Math.min(items.length, limit);
    }
    return { items, count: page.count + 1 };
  }

  /**
   * The page of the feed's items (the newest MAX_FILTERED_ITEMS) that pass the filters, and how many pass: every
   * candidate is read (as much of it as a filter reads) and filtered, since the count makes the paging links; then
   * the page's items are read whole.
   */
  async #filtered(head: FeedHead, query: FeedQuery, rows: RowsQuery, extra: Item | undefined, limit: number): Promise<{ items: Item[]; count: number }> {
    const total = await countRows(this.#pool, head, rows, this.#maxFiltered) + (extra ? 1 : 0);
    const pass = new FilterPass();
    const from = (query.page - 1) * limit;
    const page: SearchedItem[] = [];
    let count = 0;
    let pendingExtra: Item | undefined = extra;
    const keep = async (chunk: readonly SearchedItem[]) => {
      for (const item of await pass.chunk(chunk, query, total)) {
        if (count >= from && count < from + limit) page.push(item);
        count++;
      }
    };
    for await (const chunk of scanSearched(this.#pool, head, rows, this.#maxFiltered, this.#chunk, MAX_SEARCHED_HTML)) {
      if (pendingExtra && newestFirst(pendingExtra, chunk[chunk.length - 1]!) < 0) {
        await keep([pendingExtra, ...chunk].sort(newestFirst));
        pendingExtra = undefined;
      } else {
        await keep(chunk);
      }
    }
    if (pendingExtra) await keep([pendingExtra]);
    // The error item is not stored: it is itself already.
    const stored = await readItems(this.#pool, page.filter((item) => item !== extra).map((item) => item.id));
    const byId = new Map(stored.map((item) => [item.id, item]));
    const items = page.flatMap((item) => (item === extra ? [extra] : byId.get(item.id) ?? []));
    return { items, count };
  }

  async #newestUpdated(head: FeedHead, extra: Item | undefined, anyOf: RowsQuery['anyOf']): Promise<string> {
    const stored = await newestUpdatedOf(this.#pool, head, anyOf);
    const newest = extra && (!stored || extra.updated > stored) ? extra.updated : stored;
    return newest ?? EMPTY_FEED_DATE;
  }
}

/** At most `atOnce` jobs running; the others wait in order, `maxWaiting` at most and no longer than a filter's deadline. */
class Turns {
  #running = 0;
  readonly #waiting: (() => void)[] = [];
  readonly #atOnce: number;
  readonly #maxWaiting: number;

  constructor(atOnce: number, maxWaiting: number) {
    this.#atOnce = atOnce;
    this.#maxWaiting = maxWaiting;
  }

  async run<T>(param: string, job: () => Promise<T>): Promise<T> {
    // A job that ends hands its turn to the next waiting one, so a new request never slips in between.
    if (this.#running >= this.#atOnce) await this.#wait(param);
    else this.#running++;
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }

  #wait(param: string): Promise<void> {
    if (this.#waiting.length >= this.#maxWaiting) return Promise.reject(new ViewsBusyError(param));
    return new Promise((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(turn), 1);
        reject(new ViewsBusyError(param));
      }, FILTER_DEADLINE_MS);
      this.#waiting.push(turn);
    });
  }
}
