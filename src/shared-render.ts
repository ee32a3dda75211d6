// Renders the site from the PostgreSQL store for every instance sharing it: the renderer (the instance holding
// the render lock, store/pg/rendered.ts) reads each feed's first page from the database (store/pg/feed-pages.ts),
// renders the feeds whose page changed with the same code and context as the embedded store's SiteRenderer
// (site-render.ts), so the same items give the same bytes and ETags, and publishes them; every instance serves
// what was published. Memory grows with neither the stored items nor the feeds' pages: between renders it keeps a
// signature and two numbers per feed; a render reads, renders and writes a batch of feeds at a time, and lets their
// items and documents go (a render that held every feed's items and bodies at once peaked near 700 MiB at 1,000
// sources). The documents are written uncompressed: each follower compresses what it holds.
import { createHash } from 'node:crypto';
import type { Config } from './config/types.ts';
import { boundGarbage } from './memory/garbage.ts';
import { signer } from './render/feed-set.ts';
import { feedPage } from './render/feed-pages.ts';
import { EMPTY_FEED_DATE } from './render/feed-document.ts';
import { newestUpdated } from './render/feed-index.ts';
import { feedHeads, itemTags, sourceTagMap, withExtra, type FeedHead, type FeedSpec, type SiteInfo } from './render/feed-specs.ts';
import { renderBytes, strongEtag, type FeedFormat } from './render/render-feed.ts';
import { renderIndexPage, renderOpml } from './serve/pages.ts';
import { siteSummary, sourceStatusesOf } from './site-render.ts';
import { RuleTagger, RuleTagging } from './rules/tagger.ts';
import { siteContext } from './site-context.ts';
import { FeedChanges, readPages, type PageHead } from './store/pg/feed-pages.ts';
import type { PgStore } from './store/pg/pg-store.ts';
import type { LocalDocuments } from './store/pg/follower.ts';
import { compressed, publishedEtags, Publication, type SharedDoc } from './store/pg/rendered.ts';
import { retagItems, storedTagging, type RetagReport } from './store/pg/retag.ts';

const FORMATS: readonly FeedFormat[] = ['atom', 'rss', 'json', 'html'];

export interface SharedRenderOptions {
  config: () => Config;
  store: PgStore;
  /** WebSub hubs every feed advertises */
  hubs: () => readonly string[];
  /** a refused config change, for the index's banner (as the embedded store's index shows it) */
  configError?: () => { message: string; at: string } | undefined;
  /** this process's follower, if it serves: handed each document written, so it does not read the render back */
  local?: () => LocalDocuments | undefined;
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

/**
 * What the renderer keeps of a feed between renders: what tells whether it must be rendered again, and what the
 * index and the OPML show of it. Not its items, nor its documents: those are read, rendered, written to the
 * database and let go, a batch of feeds at a time.
 */
interface HeldFeed {
  /** of what the feed's page 1 shows (render/feed-set.ts signer): rendered again when it changes */
  signature: string;
  /** a failing source's error item in its feed, as text ('' for none): the feed is signed again when it changes */
  extra: string;
  /** items on page 1 (the index shows it) */
  shown: number;
  /** the newest `updated` of page 1 (the OPML's date) */
  newest: string | undefined;
}

/**
 * Feeds read, rendered and written at a time: their items and documents are all this renderer holds. Small enough to
 * keep a render of every feed (the first, or after a config change) a few MiB at a time, big enough to read the
 * pages in few queries (feed-pages.ts reads 200 source feeds a query).
 */
const FEEDS_PER_BATCH = 100;

/** The renderer of the shared store. Call render() while holding the render lock. */
export class SharedRenderer {
  readonly #o: SharedRenderOptions;
  readonly #tagging = new RuleTagging();
  #held = new Map<string, HeldFeed>();
  #changes: FeedChanges | undefined;
  /** what the feeds are followed for: the feeds, the page size and the tagging; when it changes every feed is read again */
  #loadedFor = '';
  /** the source states the index was last written from, as text, and the index and OPML as published */
  #statesText = '';
  #published: { index?: string; opml?: string } = {};

  constructor(options: SharedRenderOptions) {
    this.#o = options;
  }

  /**
   * Forgets what this renderer rendered and published: the next render reads every page and renders every feed,
   * and publishes those whose bytes differ from the published ones. For a render that failed to publish, and for a
   * renderer that takes the lock again, since another renderer may have published meanwhile.
   */
  restart(): void {
    this.#statesText = '';
    this.#held = new Map();
    this.#changes = undefined;
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
    // Starting afresh, the feeds published are what may have to go: another renderer published them; and the
    // documents this render makes as they are published need neither compressing nor writing again.
    const asPublished = this.#held.size > 0 ? undefined : await publishedEtags(this.#o.store.pool);
    const before = asPublished ? feedPathsOf(asPublished.keys()) : new Set(this.#held.keys());
    let publication: Publication | undefined;
    try {
      let dirty: Set<string>;
      if (!this.#changes || loadFor !== this.#loadedFor) {
        this.#changes = new FeedChanges({ store: this.#o.store, tags });
        await this.#changes.start(pageHeads);
        this.#loadedFor = loadFor;
        dirty = new Set(heads.map((h) => h.path));
      } else {
        dirty = new Set(await this.#changes.follow());
      }
      const extraOf = (head: FeedHead) => (head.kind === 'source' ? failing.get(head.name) : undefined);
      for (const head of heads) {
        const extra = extraOf(head);
        if (this.#held.get(head.path)?.extra !== (extra ? JSON.stringify(extra) : '')) dirty.add(head.path);
      }
      const sign = signer(ctx);
      const now = ctx.now ?? Date.now();
      const next = new Map<string, HeldFeed>();
      const changed: string[] = [];
      const newBytes = new Set<string>();
      const write = async (name: string, doc: SharedDoc) => {
        if (asPublished?.get(name) === doc.etag) return;
        publication ??= await Publication.begin(this.#o.store.pool);
        const packed = await compressed(doc);
        if (!(await publication.write(name, packed))) return;
        newBytes.add(name);
        await this.#o.local?.()?.offer(name, packed, publication.revision);
      };
      const toRead = heads.filter((head) => dirty.has(head.path));
      for (let at = 0; at < toRead.length; at += FEEDS_PER_BATCH) {
        const batch = toRead.slice(at, at + FEEDS_PER_BATCH);
        const pages = await readPages(this.#o.store.pool, batch, site.limit);
        for (const head of batch) {
          const page = pages.get(head.path)!;
          const extra = extraOf(head);
          const all = withExtra(page.items, extra);
          const spec: FeedSpec = { ...head, items: all.slice(0, site.limit), all, count: page.count + (extra ? 1 : 0) };
          const doc = feedPage(spec, spec.all, { page: 1 }, site.limit, newestUpdated(spec.all) ?? EMPTY_FEED_DATE, spec.count);
          const signature = sign(doc.spec, doc.items, `${JSON.stringify(doc.paging ?? null)}\0${doc.emptyUpdated}`);
          next.set(head.path, { signature, extra: extra ? JSON.stringify(extra) : '', shown: spec.items.length, newest: newestUpdated(spec.items) });
          if (this.#held.get(head.path)?.signature === signature) continue;
          changed.push(head.path);
          for (const format of FORMATS) await write(`${head.path}.${format}`, renderBytes(doc, ctx, format, now));
        }
        // The batch's rows, items and texts are garbage now: a render of every feed makes ten batches of it.
        boundGarbage();
      }
      for (const head of heads) if (!next.has(head.path)) next.set(head.path, this.#held.get(head.path)!);
      tagger.endPass();
      const configError = this.#o.configError?.();
      const statesText = JSON.stringify([states, configError ?? null]);
      let written: { index?: string; opml?: string } = {};
      if (changed.length > 0 || statesText !== this.#statesText || !this.#published.index) {
        written = await this.#sitePages(config, states, heads, next, configError, write);
      }
      const current = new Set(heads.map((h) => h.path));
      const removed = [...before].filter((path) => !current.has(path)).flatMap((path) => FORMATS.map((f) => `${path}.${f}`));
      if (removed.length > 0) {
        publication ??= await Publication.begin(this.#o.store.pool);
        await publication.remove(removed);
      }
      const extra = retagged ? { retagged } : {};
      this.#held = next;
      this.#statesText = statesText;
      if (!publication) {
        // Nothing to publish (a renderer starting afresh found everything as published): the pages are as written.
        this.#published = { ...this.#published, ...written };
        return { changed, ...extra };
      }
      const revision = await publication.commit();
      this.#published = { ...this.#published, ...written };
      const published = changed.filter((path) => FORMATS.some((format) => newBytes.has(`${path}.${format}`)));
      return { changed, revision, published, ...extra };
    } catch (err) {
      // Not published (the database is down?): the next render starts afresh and publishes everything again.
      await publication?.abandon();
      if (publication) this.#o.local?.()?.withdraw(publication.revision);
      this.restart();
      throw err;
    }
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
    this.#changes = undefined;
    return report;
  }

  /**
   * The index and the OPML, from the feeds just rendered and the sources' states, published as documents like the
   * feeds (names `index` and `opml`) when their text changed: every instance serves the same pages, and none
   * queries the database to answer one.
   */
  async #sitePages(config: Config, states: Awaited<ReturnType<PgStore['sourceStates']>>, heads: readonly FeedHead[],
    held: ReadonlyMap<string, HeldFeed>, configError: { message: string; at: string } | undefined,
    write: (name: string, doc: SharedDoc) => Promise<void>): Promise<{ index?: string; opml?: string }> {
    const counts = await this.#o.store.countsBySource();
    const feeds = heads.map((head) => ({ ...head, items: { length: held.get(head.path)!.shown } }));
    const summary = siteSummary(config, feeds, sourceStatusesOf(config, states, (id) => counts.get(id) ?? 0), configError);
    let newest = '1970-01-01T00:00:00.000Z';
    for (const head of heads) {
      const own = held.get(head.path)!.newest;
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
      await write(name, { body, etag: strongEtag(body), contentType, lastModified: at });
      written[name] = text;
    }
    return written;
  }
}

/** The paths of the feeds among published documents (`path.format`; the index and the OPML are not feeds). */
function feedPathsOf(names: Iterable<string>): Set<string> {
  const paths = new Set<string>();
  for (const name of names) {
    const format = FORMATS.find((f) => name.endsWith(`.${f}`));
    if (format) paths.add(name.slice(0, -format.length - 1));
  }
  return paths;
}
