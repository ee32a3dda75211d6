// What an instance on the PostgreSQL store serves (shared-app.ts holds the state; this answers from it): published
// documents from the follower's memory (no database query on the hot path), older pages, filtered views and
// composed tag feeds read from the database on first request (shared-views.ts), /healthz and /status. A fetching
// instance (--role fetch) holds no document: it says so, rather than a bare 404 for a feed that exists.
import type { ConfigStatus } from './app.ts';
import type { Config } from './config/types.ts';
import type { SourceState } from './model.ts';
import type { FeedQuery } from './render/feed-query.ts';
import { gzippedFeed, type FeedFormat, type RenderedFeed } from './render/render-feed.ts';
import { renderStaticDoc } from './render/static-doc.ts';
import { feedStylesheet } from './serve/feed-style.ts';
import type { ServiceMetrics } from './serve/metrics.ts';
import { NotServedError, StoreLoadingError, type ServedSite } from './serve/server.ts';
import type { WebSub } from './serve/websub/websub.ts';
import type { RuleTagging } from './rules/tagger.ts';
import type { InstanceRole } from './shared-app.ts';
import type { SharedViews } from './shared-views.ts';
import { sourceStatusesOf } from './site-render.ts';
import { cacheMaxAge } from './starting-site.ts';
import type { HeldDoc, RenderedFollower } from './store/pg/follower.ts';

export interface DatabaseHealth {
  ok: boolean;
  errors: number;
  lastError?: string;
  lastErrorAt?: string;
}

/** The instance's state the site answers from, read at each request (it changes with passes, renders and reloads). */
export interface SharedSiteState {
  instanceId: string;
  role: InstanceRole;
  config(): Config;
  configStatus(): ConfigStatus;
  states(): Record<string, SourceState>;
  counts(): ReadonlyMap<string, number>;
  hubs(): string[];
  tagging: RuleTagging;
  follower(): RenderedFollower | undefined;
  views: SharedViews;
  metrics: ServiceMetrics;
  websub(): WebSub;
  db: DatabaseHealth;
  renderer(): boolean;
  holding(): string[];
  steals(): number;
  lastCycle(): string | undefined;
  schemaVersion: number;
}

export class SharedSite {
  readonly #s: SharedSiteState;
  readonly #served = new WeakMap<HeldDoc, RenderedFeed>();
  readonly #stylesheet = renderStaticDoc(feedStylesheet(), 'text/xsl; charset=utf-8', undefined);

  constructor(state: SharedSiteState) {
    this.#s = state;
  }

  /**
   * A published document as served: its gzip form as the follower holds it, its body made from that on request
   * (kept in identity-bodies.ts's bounded LRU), its brotli form made on the first request that asks, once per revision.
   */
  #doc(name: string, what: string): RenderedFeed | undefined {
    const follower = this.#s.follower();
    if (!follower) return undefined;
    const doc = follower.get(name);
    if (!doc) {
      // Nothing published yet (a new database): the feeds come with the first render.
      if (follower.size === 0) throw new StoreLoadingError(what, 5);
      return undefined;
    }
    let served = this.#served.get(doc);
    if (!served) {
      const fields = { etag: doc.etag, lastModified: doc.lastModified, contentType: doc.contentType, bytes: doc.bytes };
      this.#served.set(doc, (served = gzippedFeed(fields, doc.gzip)));
    }
    return served;
  }

  /**
   * An older page or a filtered view of a feed, read from the database on request (shared-views.ts) and kept until
   * the next publication: every instance answers it with the same bytes and ETag. Undefined for a feed that does
   * not exist (404).
   */
  #view(path: string, format: FeedFormat, query: FeedQuery): Promise<RenderedFeed> | undefined {
    const follower = this.#s.follower();
    if (!follower) return undefined;
    return this.#s.views.feedView(this.#siteOf(), path, format, query, follower.revision);
  }

  /**
   * A tag feed composed in the URL (tags/ai+china): no renderer publishes one, so its first page too is read from the
   * database on request and kept until the next publication (shared-views.ts); undefined, with nothing read, for a
   * path that is no composed query of known tags. Plain feeds never come here: they are published.
   */
  #composed(path: string, format: FeedFormat): Promise<RenderedFeed> | undefined {
    const follower = this.#s.follower();
    if (!follower || !path.startsWith('tags/')) return undefined;
    return this.#s.views.composedView(this.#siteOf(), path, format, { page: 1 }, follower.revision);
  }

  #siteOf() {
    return { config: this.#s.config(), states: this.#s.states(), hubs: this.#s.hubs(), tagging: this.#s.tagging };
  }

  #enabledFailing(): { sources: number; failing: number } {
    const enabled = this.#s.config().sources.filter((s) => s.enabled);
    const states = this.#s.states();
    return { sources: enabled.length, failing: enabled.filter((s) => (states[s.id]?.consecutiveFailures ?? 0) > 0).length };
  }

  site(): ServedSite {
    const s = this.#s;
    const serving = s.role !== 'fetch';
    const notServed = (what: string) => new NotServedError(`${what} is not served here: this instance runs with --role fetch ` +
      `(it fetches, and renders when it holds the render lock); the instances with --role all or serve serve the feeds, the index and the OPML`);
    const websub = s.websub();
    return {
      feed: (path, format) => {
        if (!serving) throw notServed(`feed ${path}.${format}`);
        return this.#doc(`${path}.${format}`, `feed ${path}.${format}`) ?? this.#composed(path, format);
      },
      view: (path, format, query) => {
        if (!serving) throw notServed(`feed ${path}.${format}`);
        if (query.page === 1 && query.limit === undefined && !query.filter && !query.filterout && !query.since) {
          return this.#doc(`${path}.${format}`, `feed ${path}.${format}`) ?? this.#composed(path, format);
        }
        return this.#view(path, format, query);
      },
      page: (name) => {
        if (name === 'stylesheet') return this.#stylesheet;
        const what = name === 'index' ? 'the index page' : 'the OPML';
        if (!serving) throw notServed(what);
        return this.#doc(name, what);
      },
      metrics: async () => ({ contentType: s.metrics.contentType, body: await s.metrics.text() }),
      onRequest: (route, status) => s.metrics.observeRequest(route, status),
      // Taken by the instances that serve the feeds (a topic is a feed they hold); verified by the one that took it.
      ...(websub.hub ? { hub: (form: URLSearchParams, client: string) => (serving ? websub.hub!.request(form, client)
        : { status: 404, message: notServed('the WebSub hub').message }) } : {}),
      maxAgeSeconds: () => cacheMaxAge(s.config()),
      health: () => {
        const { sources, failing } = this.#enabledFailing();
        return {
          status: !s.db.ok || (sources > 0 && failing === sources) ? 'degraded' : 'ok',
          sources, failing, items: sum(s.counts()), lastFetch: s.lastCycle() ?? null,
          store: 'postgres', database: s.db.ok ? 'ok' : 'unreachable', instance: s.instanceId, role: s.role,
        };
      },
      status: () => {
        const follower = s.follower();
        const config = s.config();
        const states = s.states();
        const counts = s.counts();
        return {
          lastCycle: s.lastCycle() ?? null,
          config: s.configStatus(),
          instance: { id: s.instanceId, role: s.role, renderer: s.renderer() },
          store: {
            kind: 'postgres', items: sum(counts), schemaVersion: s.schemaVersion,
            ...(follower ? { published: { revision: follower.revision, documents: follower.size, listening: follower.listening } } : {}),
          },
          database: { ...s.db },
          leases: { held: s.holding(), steals: s.steals() },
          websub: s.websub().status(),
          sources: sourceStatusesOf(config, states, (id) => counts.get(id) ?? 0).map((status) => ({
            ...status, charsetGuess: states[status.id]?.charsetGuess ?? null,
            // Only for sources with fullText, as on the embedded store.
            ...(config.sources.find((c) => c.id === status.id)?.fullText ? { fullText: states[status.id]?.fullText ?? { ok: 0, failed: 0, pending: 0 } } : {}),
          })),
        };
      },
    };
  }
}

export function sum(counts: ReadonlyMap<string, number>): number {
  let total = 0;
  for (const n of counts.values()) total += n;
  return total;
}
