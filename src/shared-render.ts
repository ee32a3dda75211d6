// Renders the site from the PostgreSQL store for every instance sharing it: the renderer (the instance holding
// the render lock, store/pg/rendered.ts) reads each feed's first page from the database (store/pg/feed-pages.ts),
// renders the feeds whose page changed with the same code and context as the embedded store's SiteRenderer
// (site-render.ts), so the same items give the same bytes and ETags, and publishes them; every instance serves
// what was published. Memory grows with the feeds, not with the stored items.
import { createHash } from 'node:crypto';
import type { Config } from './config/types.ts';
import { FeedSet } from './render/feed-set.ts';
import { newestUpdated } from './render/feed-index.ts';
import { feedHeads, itemTags, sourceTagMap, withExtra, type FeedSpec, type SiteInfo } from './render/feed-specs.ts';
import { strongEtag, type FeedFormat } from './render/render-feed.ts';
import { renderIndexPage, renderOpml } from './serve/pages.ts';
import { siteSummary, sourceStatusesOf } from './site-render.ts';
import { RuleTagger, RuleTagging } from './rules/tagger.ts';
import { siteContext } from './site-context.ts';
import { FeedPages, type PageHead } from './store/pg/feed-pages.ts';
import type { PgStore } from './store/pg/pg-store.ts';
import { publishedNames, publishRendered, type SharedDoc } from './store/pg/rendered.ts';
import { retagItems, storedTagging, type RetagReport } from './store/pg/retag.ts';

const FORMATS: readonly FeedFormat[] = ['atom', 'rss', 'json', 'html'];

export interface SharedRenderOptions {
  config: () => Config;
  store: PgStore;
  /** WebSub hubs every feed advertises */
  hubs: () => readonly string[];
  /** a refused config change, for the index's banner (as the embedded store's index shows it) */
  configError?: () => { message: string; at: string } | undefined;
}

export interface SharedRenderResult {
  /** feeds rendered again (paths) */
  changed: string[];
  /** the published revision, when anything was published */
  revision?: number;
  /**
   * of the feeds rendered again, those whose published bytes changed: all of `changed` but after a renderer took
   * over (its first render makes every feed, and most are as published)
   */
  published?: string[];
  /** the stored items' tags computed again, after a change of the sources' tags or of the rules */
  retagged?: RetagReport;
}

/** The renderer of the shared store. Call render() while holding the render lock. */
export class SharedRenderer {
  readonly #o: SharedRenderOptions;
  #feeds = new FeedSet();
  readonly #tagging = new RuleTagging();
  #pages: FeedPages | undefined;
  /** what the pages were loaded for: the feeds, the page size and the tagging; when it changes they are read again */
  #loadedFor = '';
  /** the source states the index was last written from, as text, and the index and OPML as published */
  #statesText = '';
  #published: { index?: string; opml?: string } = {};

  constructor(options: SharedRenderOptions) {
    this.#o = options;
  }

  /** the feeds as last rendered, for a test or the instance's own serving */
  get feeds(): FeedSet {
    return this.#feeds;
  }

  /**
   * Forgets what this renderer rendered and published: the next render reads every page and renders every feed,
   * and publishes those whose bytes differ from the published ones. For a render that failed to publish, and for a
   * renderer that takes the lock again, since another renderer may have published meanwhile.
   */
  restart(): void {
    this.#statesText = '';
    this.#feeds = new FeedSet();
    this.#pages = undefined;
    this.#published = {};
  }

  async render(): Promise<SharedRenderResult> {
    const config = this.#o.config();
    const states = await this.#o.store.sourceStates();
    const { site, titles, ctx, contextKey, tags, failing, tagger } = siteContext(config, states, this.#o.hubs(), this.#tagging);
    const retagged = await this.#retag(config, site, tagger.version);
    const heads = feedHeads(site, titles);
    const pageHeads: PageHead[] = heads.map(({ path, kind, name }) => ({ path, kind, name }));
    const loadFor = JSON.stringify([pageHeads, site.limit, contextKey]);
    if (!this.#pages || loadFor !== this.#loadedFor) {
      this.#pages = new FeedPages({ store: this.#o.store, tags });
      await this.#pages.load(pageHeads, site.limit);
      this.#loadedFor = loadFor;
    } else {
      await this.#pages.follow();
    }
    const pages = this.#pages;
    const specs: FeedSpec[] = heads.map((head) => {
      const page = pages.page(head.path)!;
      const extra = head.kind === 'source' ? failing.get(head.name) : undefined;
      const all = head.kind === 'source' ? withExtra(page.items, extra) : page.items;
      return { ...head, items: all.slice(0, site.limit), all, count: page.count + (extra ? 1 : 0) };
    });
    // Starting afresh, the feeds published are what may have to go: another renderer published them.
    const before = this.#feeds.specs().length > 0 ? new Set(this.#feeds.specs().map((s) => s.path)) : await this.#publishedFeeds();
    const changed = this.#feeds.update(specs, ctx, site.limit, contextKey);
    tagger.endPass();
    const docs = new Map<string, SharedDoc>();
    for (const path of changed) {
      for (const format of FORMATS) {
        const doc = this.#feeds.get(path, format)!;
        docs.set(`${path}.${format}`, { body: doc.body, etag: doc.etag, contentType: doc.contentType, lastModified: doc.lastModified });
      }
    }
    const configError = this.#o.configError?.();
    const statesText = JSON.stringify([states, configError ?? null]);
    let written: { index?: string; opml?: string } = {};
    if (changed.length > 0 || statesText !== this.#statesText || !this.#published.index) {
      this.#statesText = statesText;
      written = await this.#sitePages(config, states, docs, configError);
    }
    const now = new Set(specs.map((s) => s.path));
    const removed = [...before].filter((path) => !now.has(path)).flatMap((path) => FORMATS.map((f) => `${path}.${f}`));
    const extra = retagged ? { retagged } : {};
    if (docs.size === 0 && removed.length === 0) return { changed, ...extra };
    let revision: number;
    const newBytes = new Set<string>();
    try {
      revision = await publishRendered(this.#o.store.pool, { changed: docs, removed, written: (name) => newBytes.add(name) });
    } catch (err) {
      // Not published (the database is down?): the next render starts afresh and publishes everything again.
      this.restart();
      throw err;
    }
    this.#published = { ...this.#published, ...written };
    const published = changed.filter((path) => FORMATS.some((format) => newBytes.has(`${path}.${format}`)));
    return { changed, revision, published, ...extra };
  }

  /** The paths of the feeds published now (documents `path.format`; the index and the OPML are not feeds). */
  async #publishedFeeds(): Promise<Set<string>> {
    const paths = new Set<string>();
    for (const name of await publishedNames(this.#o.store.pool)) {
      const format = FORMATS.find((f) => name.endsWith(`.${f}`));
      if (format) paths.add(name.slice(0, -format.length - 1));
    }
    return paths;
  }

  /**
   * Computes the stored items' tags again when the sources' tags or the rules differ from what they were computed
   * from (store/pg/retag.ts): the embedded store's tags follow the config at once, since it computes them at each
   * render; here the tag feeds' queries read them from the rows. Looked up at every render (one row by its key):
   * another renderer may have re-tagged them meanwhile, for a config this one does not run.
   */
  async #retag(config: Config, site: SiteInfo, rulesVersion: string): Promise<RetagReport | undefined> {
    // What an item's tags depend on: the tags of the sources that have some (a source added without tags changes no
    // stored item's; one removed with tags does), by id, and the rules in their order.
    const sourceTags = site.sources.filter((source) => source.tags.length > 0).map((source) => [source.id, source.tags])
      .sort(([a], [b]) => (a! < b! ? -1 : 1));
    const tagging = createHash('sha1').update(JSON.stringify([sourceTags, rulesVersion])).digest('base64url');
    const pool = this.#o.store.pool;
    if ((await storedTagging(pool)) === tagging) return undefined;
    // A tagger of its own: the render's keeps an entry per item it sees, and this one sees every stored item.
    const tagger = new RuleTagger(config.rules ?? []);
    const tagsOf = sourceTagMap(site);
    const report = await retagItems(pool, (item) => itemTags(item, tagsOf, tagger.tagsOf), tagging, () => tagger.endPass());
    // The pages held were read with the tags as they were: read them all again.
    this.#pages = undefined;
    return report;
  }

  /**
   * The index and the OPML, from the feeds just rendered and the sources' states, published as documents like the
   * feeds (names `index` and `opml`) when their text changed: every instance serves the same pages, and none
   * queries the database to answer one.
   */
  async #sitePages(config: Config, states: Awaited<ReturnType<PgStore['sourceStates']>>, docs: Map<string, SharedDoc>,
    configError: { message: string; at: string } | undefined): Promise<{ index?: string; opml?: string }> {
    const counts = await this.#o.store.countsBySource();
    const specs = this.#feeds.specs();
    const summary = siteSummary(config, specs, sourceStatusesOf(config, states, (id) => counts.get(id) ?? 0), configError);
    let newest = '1970-01-01T00:00:00.000Z';
    for (const spec of specs) {
      const own = newestUpdated(spec.items);
      if (own && own > newest) newest = own;
    }
    const pages = {
      index: { text: renderIndexPage(summary), contentType: 'text/html; charset=utf-8' },
      opml: { text: renderOpml(summary, new Date(newest).toUTCString()), contentType: 'text/x-opml; charset=utf-8' },
    };
    const at = new Date().toUTCString();
    const written: { index?: string; opml?: string } = {};
    for (const name of ['index', 'opml'] as const) {
      const { text, contentType } = pages[name];
      if (text === this.#published[name]) continue;
      const body = Buffer.from(text, 'utf8');
      docs.set(name, { body, etag: strongEtag(body), contentType, lastModified: at });
      written[name] = text;
    }
    return written;
  }
}
