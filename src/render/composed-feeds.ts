import type { Item } from '../model.ts';
import { newestFirst } from '../store/store.ts';
import { EMPTY_FEED_DATE } from './feed-document.ts';
import { feedPage } from './feed-pages.ts';
import { newestOf, signer } from './feed-set.ts';
import { allTags, itemTags, type FeedSpec, type SiteInfo } from './feed-specs.ts';
import { renderFeed, type FeedFormat, type RenderContext, type RenderedFeed } from './render-feed.ts';
import { describeTagQuery, matchesTagQuery, parseTagQuery, queryTags, type TagQuery } from './tag-query.ts';

/** Composed feeds kept rendered at once; the least recently requested goes first. */
export const MAX_COMPOSED_FEEDS = 64;

/** What composed feeds are made of: the same items, site and context as the regular feeds of one render. */
export interface ComposedInput {
  items: readonly Item[];
  /** the items are newest first already and never changed in place (the feed index's latest list) */
  sorted?: boolean;
  site: SiteInfo;
  ctx: RenderContext;
}

interface Entry {
  signature: string;
  /** the refresh generation in which the signature was last checked */
  generation: number;
  formats: Record<FeedFormat, RenderedFeed>;
}

interface Snapshot {
  input: ComposedInput;
  tags: Set<string>;
  sorted?: readonly Item[];
}

/**
 * Tag feeds composed in the URL (ai+china, ai,finance), rendered on the first request and kept in a bounded
 * LRU. After each render of the site a composed feed's items are looked up again on its next request, once;
 * it is re-rendered only when its content signature changed, so its bytes and ETag stay put otherwise.
 */
export class ComposedFeeds {
  readonly #entries = new Map<string, Entry>();
  #snapshot: Snapshot | undefined;
  #generation = 0;
  #renders = 0;

  /** Takes the items and context of a new render; cached feeds are checked again on their next request. */
  refresh(input: ComposedInput): void {
    const tags = new Set(allTags(input.site));
    // Otherwise a copy: the store changes its array in place during the next fetch cycle.
    this.#snapshot = input.sorted ? { input, tags, sorted: input.items } : { input: { ...input, items: [...input.items] }, tags };
    this.#generation++;
  }

  /** The feed at path (tags/<query>) or undefined when it is no composed query of known tags. */
  get(path: string, format: FeedFormat): RenderedFeed | undefined {
    const snapshot = this.#snapshot;
    if (!snapshot || !path.startsWith('tags/')) return undefined;
    const query = parseTagQuery(path.slice('tags/'.length));
    if (!query || !queryTags(query).every((tag) => snapshot.tags.has(tag))) return undefined;
    let entry = this.#entries.get(query.key);
    if (!entry || entry.generation !== this.#generation) entry = this.#update(query, entry, snapshot);
    this.#entries.delete(query.key);
    this.#entries.set(query.key, entry);
    return entry.formats[format];
  }

  /** How many times a composed feed was rendered (in all three formats). */
  get renderCount(): number {
    return this.#renders;
  }

  #update(query: TagQuery, old: Entry | undefined, snapshot: Snapshot): Entry {
    const { site, ctx } = snapshot.input;
    const spec = composedSpec(query, snapshot);
    const doc = feedPage(spec, spec.all, { page: 1 }, site.limit, newestOf(spec.all) ?? EMPTY_FEED_DATE);
    const signature = signer(ctx)(doc.spec, doc.items, `${JSON.stringify(doc.paging ?? null)}\0${doc.emptyUpdated}`);
    if (old && old.signature === signature) return { ...old, generation: this.#generation };
    this.#renders++;
    const entry = { signature, generation: this.#generation, formats: renderFeed(doc, ctx) };
    if (!old && this.#entries.size >= MAX_COMPOSED_FEEDS) this.#entries.delete(this.#entries.keys().next().value!);
    return entry;
  }
}

function composedSpec(query: TagQuery, snapshot: Snapshot): FeedSpec {
  const { site, ctx } = snapshot.input;
  snapshot.sorted ??= [...snapshot.input.items].sort(newestFirst);
  const all = snapshot.sorted.filter((item) => matchesTagQuery(itemTags(item, ctx.tagsOf, ctx.ruleTags), query));
  return {
    path: `tags/${query.key}`, kind: 'tag', name: query.key,
    title: `${site.title} · ${query.key}`, description: `Latest items tagged ${describeTagQuery(query)}`,
    items: all.slice(0, site.limit),
    all,
  };
}
