// What the service answers between listening and the store being loaded and rendered (`tributary serve` listens
// first): the documents the last run kept on disk (render/rendered-docs.ts), byte for byte, and /healthz and
// /status saying the store is loading. Whatever needs the store itself gets 503 with Retry-After.
import type { Config } from './config/types.ts';
import type { RenderedFeed } from './render/render-feed.ts';
import type { RenderedDocs } from './render/rendered-docs.ts';
import { renderStaticDoc } from './render/static-doc.ts';
import { shortestInterval } from './schedule/scheduler.ts';
import { feedStylesheet } from './serve/feed-style.ts';
import { StoreLoadingError, type ServedSite } from './serve/server.ts';

/**
 * Seconds a reader is asked to wait: loading takes seconds for 100k items and under a minute for 1M, and a feed
 * reader retrying sooner than that would only get another 503.
 */
export const LOADING_RETRY_SECONDS = 5;

export interface StartingSiteOptions {
  config: Config;
  docs: RenderedDocs;
  /** the store file being loaded, for /status */
  storeFile: string;
  /** when loading began */
  since: Date;
  /** /status "config", as the service will keep it */
  configStatus: () => unknown;
}

/** Seconds readers may cache a feed: half the shortest schedule, between a minute and half an hour. */
export function cacheMaxAge(config: Config): number {
  // Each distinct schedule once: working out an interval costs ~1 ms, and a thousand sources sharing the default
  // schedule held the port closed for a second at start.
  const schedules = new Set(config.sources.filter((s) => s.enabled).map((s) => s.schedule));
  return Math.max(60, Math.floor(Math.min(...[...schedules].map(shortestInterval), 3600) / 2));
}

export function startingSite(options: StartingSiteOptions): ServedSite {
  const { config, docs } = options;
  const maxAge = cacheMaxAge(config);
  const stylesheet = renderStaticDoc(feedStylesheet(), 'text/xsl; charset=utf-8', undefined);
  const kept = (name: string, what: string): RenderedFeed | Promise<RenderedFeed> => {
    const doc = docs.get(name);
    if (doc === undefined) throw new StoreLoadingError(what, LOADING_RETRY_SECONDS);
    if (!(doc instanceof Promise)) return doc;
    // A kept file that is missing or damaged is no 404: the feed exists, it is only not ready yet.
    return doc.then((read) => read ?? Promise.reject(new StoreLoadingError(what, LOADING_RETRY_SECONDS)));
  };
  const loading = (what: string) => new StoreLoadingError(what, LOADING_RETRY_SECONDS);
  return {
    feed: (path, format) => kept(`${path}.${format}`, `feed ${path}.${format}`),
    view: (path, format) => {
      throw loading(`a page or filtered view of ${path}.${format}`);
    },
    page: (name) => (name === 'stylesheet' ? stylesheet : kept(name, name === 'index' ? 'the index page' : 'the OPML')),
    metrics: () => Promise.reject(loading('/metrics')),
    ...(config.websub.builtin ? { hub: () => ({ status: 503, message: loading('the WebSub hub').message, retryAfterSeconds: LOADING_RETRY_SECONDS }) } : {}),
    maxAgeSeconds: () => maxAge,
    language: () => config.language,
    health: () => ({
      status: 'ok',
      loading: true,
      sources: config.sources.filter((s) => s.enabled).length,
      // as of the documents served: the store's own count once it is loaded
      items: docs.items,
      lastFetch: docs.lastCycle,
    }),
    status: () => ({
      lastCycle: docs.lastCycle,
      config: options.configStatus(),
      store: {
        loading: true, file: options.storeFile, since: options.since.toISOString(),
        renderedDocs: { dir: docs.dir, served: docs.count, ...(docs.refused ? { notServed: docs.refused } : {}) },
      },
    }),
  };
}
