import type { Item } from '../model.ts';
import { toPlainText } from '../normalize/plain-text.ts';
import { newestFirst } from '../store/store.ts';
import { EMPTY_FEED_DATE } from './feed-document.ts';
import { feedPage } from './feed-pages.ts';
import type { FeedQuery } from './feed-query.ts';
import { signer, type Signer } from './feed-set.ts';
import { newestUpdated } from './feed-index.ts';
import { allTags, itemTags, type FeedHead, type FeedSpec, type SiteInfo } from './feed-specs.ts';
import { FeedViews, type FeedViewsOptions } from './feed-views.ts';
import { messages } from './messages.ts';
import { renderFeed, type FeedFormat, type RenderContext, type RenderedFeed } from './render-feed.ts';
import { describeTagQuery, matchesTagQuery, parseTagQuery, queryTags, type TagQuery } from './tag-query.ts';

/** Composed feeds kept rendered at once; the least recently requested goes first. */
export const MAX_COMPOSED_FEEDS = 64;
/** Their pages and filtered views kept, by default: fewer than the regular feeds', as anyone can make up more. */
export const COMPOSED_VIEWS: Required<Pick<FeedViewsOptions, 'maxViews' | 'maxViewBytes'>> = { maxViews: 200, maxViewBytes: 16 * 1024 * 1024 };

/** What composed feeds are made of: the same items, site and context as the regular feeds of one render. */
export interface ComposedInput {
  items: readonly Item[];
  /** the items are newest first already and never changed in place (the feed index's latest list) */
  sorted?: boolean;
  site: SiteInfo;
  ctx: RenderContext;
}

interface Entry {
  /** of what page 1 shows: re-rendered when it changes */
  signature: string;
  /** the refresh generation in which the signature was last checked */
  generation: number;
  /** the feed as of that refresh: all its items, for pages and filtered views */
  spec: FeedSpec;
  /** of all its items, which keys its pages and filtered views; signed when a view first asks for it */
  viewGeneration?: string;
  formats: Record<FeedFormat, RenderedFeed>;
}

interface Snapshot {
  input: ComposedInput;
  tags: Set<string>;
  sign: Signer;
  sorted?: readonly Item[];
}

/**
 * Tag feeds composed in the URL (ai+china, ai,finance), rendered on the first request and kept in a bounded
 * LRU. After each render of the site a composed feed's items are looked up again on its next request, once;
 * it is re-rendered only when its content signature changed, so its bytes and ETag stay put otherwise. Their
 * pages and filtered views are those of the regular feeds (FeedViews), under the canonical path tags/<key>.
 */
export class ComposedFeeds {
  readonly #entries = new Map<string, Entry>();
  readonly #views: FeedViews;
  #snapshot: Snapshot | undefined;
  #generation = 0;
  #renders = 0;

  constructor(options: FeedViewsOptions = COMPOSED_VIEWS) {
    this.#views = new FeedViews(options);
  }

  /** Takes the items and context of a new render; cached feeds are checked again on their next request. */
  refresh(input: ComposedInput): void {
    const tags = new Set(allTags(input.site));
    const sign = signer(input.ctx);
    // Otherwise a copy: the store changes its array in place during the next fetch cycle.
    this.#snapshot = input.sorted ? { input, tags, sign, sorted: input.items } : { input: { ...input, items: [...input.items] }, tags, sign };
    this.#generation++;
  }

  /** The feed at path (tags/<query>) or undefined when it is no composed query of known tags. */
  get(path: string, format: FeedFormat): RenderedFeed | undefined {
    return this.#entry(path)?.entry.formats[format];
  }

  /**
   * A page or filtered view of the feed at path, as FeedSet.view answers for a regular feed; undefined when
   * path is no composed query of known tags. Throws FeedPageNotFoundError past the last page; a filtered view
   * not rendered yet comes as a promise (see FeedViews.view).
   */
  view(path: string, format: FeedFormat, query: FeedQuery): RenderedFeed | Promise<RenderedFeed> | undefined {
    const found = this.#entry(path);
    if (!found) return undefined;
    const { entry, snapshot } = found;
    entry.viewGeneration ??= snapshot.sign(entry.spec, entry.spec.all, '');
    const feed = { spec: entry.spec, generation: entry.viewGeneration, pageSize: snapshot.input.site.limit };
    return this.#views.view(feed, format, query, snapshot.input.ctx);
  }

  /** Pages and filtered views of composed feeds rendered (cache misses): a repeated request does not add to it. */
  get viewsRendered(): number {
    return this.#views.rendered;
  }

  #entry(path: string): { entry: Entry; snapshot: Snapshot } | undefined {
    const snapshot = this.#snapshot;
    if (!snapshot) return undefined;
    const query = knownTagQuery(path, snapshot.tags);
    if (!query) return undefined;
    let entry = this.#entries.get(query.key);
    if (!entry || entry.generation !== this.#generation) entry = this.#update(query, entry, snapshot);
    this.#entries.delete(query.key);
    this.#entries.set(query.key, entry);
    return { entry, snapshot };
  }

  /** How many times a composed feed was rendered (in all four formats). */
  get renderCount(): number {
    return this.#renders;
  }

  #update(query: TagQuery, old: Entry | undefined, snapshot: Snapshot): Entry {
    const { site, ctx } = snapshot.input;
    const spec = composedSpec(query, snapshot);
    const doc = feedPage(spec, spec.all, { page: 1 }, site.limit, newestUpdated(spec.all) ?? EMPTY_FEED_DATE);
    const signature = snapshot.sign(doc.spec, doc.items, `${JSON.stringify(doc.paging ?? null)}\0${doc.emptyUpdated}`);
    // Page 1 unchanged keeps its bytes; older items may still have changed, so the views are signed again.
    if (old && old.signature === signature) return { signature, generation: this.#generation, spec, formats: old.formats };
    this.#renders++;
    const entry = { signature, generation: this.#generation, spec, formats: renderFeed(doc, ctx) };
    if (!old && this.#entries.size >= MAX_COMPOSED_FEEDS) this.#entries.delete(this.#entries.keys().next().value!);
    return entry;
  }
}

function composedSpec(query: TagQuery, snapshot: Snapshot): FeedSpec {
  const { site, ctx } = snapshot.input;
  snapshot.sorted ??= [...snapshot.input.items].sort(newestFirst);
  const all = snapshot.sorted.filter((item) => matchesTagQuery(itemTags(item, ctx.tagsOf, ctx.ruleTags), query));
  return { ...composedHead(query, site), items: all.slice(0, site.limit), all };
}

/** The head of a composed feed (path, titles): what the PostgreSQL store's views render it with too (shared-views.ts). */
export function composedHead(query: TagQuery, site: Pick<SiteInfo, 'title' | 'language'>): FeedHead {
  return {
    path: `tags/${query.key}`, kind: 'tag', name: query.key,
    // The query comes from a reader's URL: it is text in the titles, never markup.
    title: toPlainText(`${site.title} · ${query.key}`, 'plain'),
    description: toPlainText(messages(site.language).tagDescription(describeTagQuery(query)), 'plain'),
  };
}

/**
 * The composed query a feed path (tags/<query>) names when every one of its tags is known; undefined for a plain
 * tag, a malformed query, one over the cap or one naming an unknown tag (all 404).
 */
export function knownTagQuery(path: string, tags: ReadonlySet<string>): TagQuery | undefined {
  if (!path.startsWith('tags/')) return undefined;
  const query = parseTagQuery(path.slice('tags/'.length));
  return query && queryTags(query).every((tag) => tags.has(tag)) ? query : undefined;
}
