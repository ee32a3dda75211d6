// Renders the site from the store: every output feed, the index page and the OPML. app.ts calls render() after
// each cycle and config change; what a render costs when little changed is measured by bench/render.ts.
import type { Config } from './config/types.ts';
import type { SourceState } from './model.ts';
import { fetchUrlOf } from './ingest.ts';
import { toPlainText } from './normalize/plain-text.ts';
import { ComposedFeeds } from './render/composed-feeds.ts';
import { FeedIndex, newestUpdatedSteps } from './render/feed-index.ts';
import { FeedSet } from './render/feed-set.ts';
import type { FeedSpec, SiteInfo } from './render/feed-specs.ts';
import type { FeedDocument, KeptFeed, RenderContext, RenderedFeed } from './render/render-feed.ts';
import { renderStaticDoc } from './render/static-doc.ts';
import { renderFeedsYielding } from './render/yielding-render.ts';
import { RuleTagging } from './rules/tagger.ts';
import { runAtOnce, runInSlices, type Steps } from './store/slices.ts';
import { feedStylesheet } from './serve/feed-style.ts';
import { siteContext } from './site-context.ts';
import { renderIndexPage, renderOpml, type FeedListing, type SiteSummary, type SourceStatus } from './serve/pages.ts';
import type { ItemStore } from './store/store.ts';

export type SitePage = 'index' | 'opml' | 'stylesheet';

export interface SiteRenderOptions {
  /** the config in force at each render */
  config: () => Config;
  store: ItemStore;
  feeds: FeedSet;
  composed: ComposedFeeds;
  /** WebSub hubs every feed advertises */
  hubs: () => readonly string[];
  /** after each render that looked at the feeds: how long it took and how many feeds it rendered again */
  observe?: (ms: number, rendered: number) => void;
  /**
   * how renderYielding() renders the feeds that changed (the service: on its render worker, workers/render-thread.ts);
   * default on this thread, a few at a time between requests
   */
  renderDocs?: (docs: readonly FeedDocument[], ctx: RenderContext) => Promise<KeptFeed[]>;
  /** a refused config change, for the index's banner */
  configError?: () => { message: string; at: string } | undefined;
}

/** The feeds, composed feeds and pages of the site, rendered again from the store where they changed. */
export class SiteRenderer {
  readonly #options: SiteRenderOptions;
  readonly #index = new FeedIndex();
  readonly #tagging = new RuleTagging();
  /** what the feeds were last rendered from, so a cycle that changed no item renders nothing */
  #renderedFrom: string | undefined;
  #pages: Partial<Record<SitePage, RenderedFeed>> = {};
  /**
   * The index and the OPML as of the last render that changed what they show, written when first requested:
   * the index changes with every cycle (it shows when each source was fetched), is asked for far less often,
   * and writing it (264 KB for 500 sources) cost more than rendering the few feeds a cycle changes.
   */
  #pending: Partial<Record<'index' | 'opml', { text: () => string; contentType: string; at: Date }>> = {};
  /** what the index and the OPML showed at the last render, and the OPML's date: unchanged pages are not written again */
  #shown: SiteSummary | undefined;
  #opmlDate: string | undefined;
  /** newest item date of page 1 of a feed, per spec object (kept while the feed does not change) */
  #newest = new WeakMap<FeedSpec, string>();

  constructor(options: SiteRenderOptions) {
    this.#options = options;
  }

  /** A page of the site; the index and the OPML are written on the first request after they changed. */
  page(name: SitePage): RenderedFeed | undefined {
    const pending = name === 'stylesheet' ? undefined : this.#pending[name];
    if (pending) {
      delete this.#pending[name as 'index' | 'opml'];
      this.#pages[name] = renderStaticDoc(pending.text(), pending.contentType, this.#pages[name], pending.at);
    }
    return this.#pages[name];
  }

  /** The index or the OPML as last written, unless it changed since (then it is written on request): for keeping. */
  written(name: 'index' | 'opml'): RenderedFeed | undefined {
    return this.#pending[name] ? undefined : this.#pages[name];
  }

  /** Re-renders the feeds whose items changed, at once; returns their paths. For a CLI command or a test. */
  render(): string[] {
    const pass = runAtOnce(this.#prepare());
    if (!pass) return [];
    return runAtOnce(this.#finish(pass, this.#options.feeds.update(pass.specs, pass.ctx, pass.limit, pass.contextKey)));
  }

  /**
   * render(), without holding the event loop: the feeds are rendered a few at a time between requests and
   * compressed off the loop (render/yielding-render.ts). The service renders so after each cycle and config change.
   */
  async renderYielding(): Promise<string[]> {
    // Following a big cycle's changes (20k new items over 100k) and what comes after the render are done in
    // slices too: each held the serving thread 50–200 ms in one go (issue 15).
    const pass = await runInSlices(this.#prepare());
    if (!pass) return [];
    const changed = await this.#options.feeds.updateAsync(pass.specs, pass.ctx, pass.limit, pass.contextKey, this.#options.renderDocs ?? renderFeedsYielding);
    return runInSlices(this.#finish(pass, changed));
  }

  /** What a render renders from, or undefined when nothing changed since the last (the index and OPML are then checked). */
  *#prepare(): Steps<RenderPass | undefined> {
    const started = performance.now();
    const { store } = this.#options;
    const config = this.#options.config();
    // When neither the items nor the sources' titles changed there is nothing to render, which is the common
    // case (most sources answer 304 most of the time). revision moves with every change of the items in memory
    // (written or not); the config part catches hot reloads, rules, tag titles and hubs included (a reload of
    // only those must serve what a restart would).
    const hubs = this.#options.hubs();
    const { site, titles, ctx, contextKey, sourcesText, tagsText, failing, tagger } = siteContext(config, store.sourceStates(), hubs, this.#tagging);
    const { title, baseUrl, description, defaults } = config;
    const from = `${store.revision}\0${sourcesText}\0${tagsText}\0${JSON.stringify([title, baseUrl, description, defaults.limit, [...failing], config.rules ?? null, config.tags ?? null, hubs])}`;
    if (from === this.#renderedFrom) {
      yield* this.#renderPages(config);
      return undefined;
    }
    this.#renderedFrom = from;
    const specs = yield* this.#index.specSteps(store, { site, sourceTitles: titles, ruleTags: tagger.tagsOf, sourceOnly: failing });
    return { started, config, site, ctx, contextKey, specs, limit: site.limit, endPass: () => tagger.endPass() };
  }

  *#finish(pass: RenderPass, changed: string[]): Steps<string[]> {
    this.#options.composed.refresh({ items: this.#index.latest(), sorted: true, site: pass.site, ctx: pass.ctx });
    pass.endPass();
    yield* this.#renderPages(pass.config);
    this.#options.observe?.(performance.now() - pass.started, changed.length);
    return changed;
  }

  /**
   * The index shows each source's status, so it may change every cycle; the OPML only when the feeds' list,
   * titles or newest item do. Each is written again only when what it shows changed, and only when requested.
   */
  *#renderPages(config: Config): Steps<void> {
    const { store, feeds } = this.#options;
    const specs = feeds.specs();
    const statuses = sourceStatuses(config, store);
    yield;
    const summary = siteSummary(config, specs, statuses, this.#options.configError?.());
    const previous = this.#shown;
    this.#shown = summary;
    const at = new Date();
    if (!previous || !sameIndex(previous, summary)) {
      this.#pending.index = { text: () => renderIndexPage(summary), contentType: 'text/html; charset=utf-8', at };
    }
    const dateCreated = yield* this.#newestFeedDate(specs);
    if (!previous || !sameFeedList(previous, summary) || dateCreated !== this.#opmlDate) {
      this.#pending.opml = { text: () => renderOpml(summary, dateCreated), contentType: 'text/x-opml; charset=utf-8', at };
      this.#opmlDate = dateCreated;
    }
    this.#pages.stylesheet ??= renderStaticDoc(feedStylesheet(), 'text/xsl; charset=utf-8', undefined);
  }

  /** The newest item shown on page 1 of any feed, as the OPML dates itself. */
  *#newestFeedDate(specs: readonly FeedSpec[]): Steps<string> {
    let newest = '1970-01-01T00:00:00.000Z';
    for (const [n, spec] of specs.entries()) {
      if (n % 64 === 63) yield;
      let own = this.#newest.get(spec);
      if (own === undefined) {
        own = (yield* newestUpdatedSteps(spec.items)) ?? '';
        this.#newest.set(spec, own);
      }
      if (own > newest) newest = own;
    }
    return new Date(newest).toUTCString();
  }
}

/** One render: what #prepare() found changed, for the feeds to be rendered from and #finish() to complete. */
interface RenderPass {
  started: number;
  config: Config;
  site: SiteInfo;
  ctx: RenderContext;
  contextKey: string;
  specs: FeedSpec[];
  limit: number;
  endPass: () => void;
}

/** Each source's fetch health, for /status and the index page; null where there is nothing to tell yet. */
export function sourceStatuses(config: Config, store: ItemStore): SourceStatus[] {
  return sourceStatusesOf(config, store.sourceStates(), (id) => store.countOf(id));
}

/** What the index and the OPML show, on either store: the site's names, its feeds and its sources' health. */
export function siteSummary(config: Config, feeds: FeedListing[], sources: SourceStatus[], configError?: { message: string; at: string }): SiteSummary {
  return {
    title: config.title, ...(config.description ? { description: config.description } : {}), baseUrl: config.baseUrl,
    ...(config.language ? { language: config.language } : {}), timezone: config.defaults.timezone, feeds, sources,
    ...(configError ? { configError } : {}),
  };
}

/** sourceStatuses() from states and counts as any store gives them (the PostgreSQL store's come by query). */
export function sourceStatusesOf(config: Config, states: Readonly<Record<string, SourceState>>, countOf: (id: string) => number): SourceStatus[] {
  return config.sources.map((s) => {
    const state = states[s.id] ?? { id: s.id, consecutiveFailures: 0 };
    const moved = fetchUrlOf(s, state) !== s.url ? fetchUrlOf(s, state) : null;
    return {
      id: s.id, title: s.title ?? state.feedTitle ?? toPlainText(s.id, 'plain'), url: s.url, enabled: s.enabled, items: countOf(s.id),
      lastFetch: state.lastFetch ?? null, lastSuccess: state.lastSuccess ?? null, httpStatus: state.httpStatus ?? null,
      itemsSeen: state.itemsSeen ?? null, consecutiveFailures: state.consecutiveFailures, nextFetch: state.nextFetch ?? null,
      lastError: state.lastError ?? null, movedTo: moved, warnings: state.warnings ?? [],
    };
  });
}

/** Whether the feeds listed (paths and titles) and the site's names are the same: what the OPML shows. */
function sameFeedList(a: SiteSummary, b: SiteSummary): boolean {
  if (a.title !== b.title || a.description !== b.description || a.baseUrl !== b.baseUrl || a.language !== b.language || a.feeds.length !== b.feeds.length) return false;
  return a.feeds.every((spec, i) => spec === b.feeds[i] || (spec.path === b.feeds[i]!.path && spec.title === b.feeds[i]!.title));
}

/** Whether the index would show the same: the feed list, each feed's item count, each source's status. */
function sameIndex(a: SiteSummary, b: SiteSummary): boolean {
  if (a.timezone !== b.timezone || a.language !== b.language) return false;
  if (a.configError?.message !== b.configError?.message || a.configError?.at !== b.configError?.at) return false;
  if (!sameFeedList(a, b) || a.sources.length !== b.sources.length) return false;
  if (!a.feeds.every((spec, i) => spec.kind === b.feeds[i]!.kind && spec.items.length === b.feeds[i]!.items.length)) return false;
  return a.sources.every((status, i) => {
    const other = b.sources[i]!;
    for (const key in status) if (status[key as keyof SourceStatus] !== other[key as keyof SourceStatus]) return false;
    return true;
  });
}
