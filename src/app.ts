// Wires the stages together; the only module that knows all of them.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config, SourceConfig } from './config/types.ts';
import type { MergeResult } from './dedupe/merge.ts';
import type { Agent } from 'undici';
import { createFetchAgent, type FetchFunction } from './fetch/fetch-source.ts';
import { HostQueue, hostOf } from './fetch/host-queue.ts';
import { fetchUrlOf, ingestSource, type IngestOutcome } from './ingest.ts';
import type { Logger } from './log.ts';
import { buildFeedSpecs, sourceTagMap } from './render/feed-specs.ts';
import { FeedSet } from './render/feed-set.ts';
import type { RenderContext, RenderedFeed, SourceInfo } from './render/render-feed.ts';
import { isDue } from './schedule/backoff.ts';
import { scheduleSources, shortestInterval, type ScheduleHandle } from './schedule/scheduler.ts';
import { renderIndexPage, renderOpml, type SiteSummary, type SourceStatus } from './serve/pages.ts';
import { createFeedServer, type ServedSite } from './serve/server.ts';
import { ItemStore } from './store/store.ts';
import { renderStaticDoc } from './render/static-doc.ts';

export const USER_AGENT = 'Tributary/0.1 (self-hosted feed aggregator; +https://github.com/tributary-aggregator)';

export interface AppOptions {
  config: Config;
  dataDir: string;
  logger: Logger;
  fetch?: FetchFunction;
  now?: () => Date;
}

export interface CycleOptions {
  /** fetch even the sources whose nextFetch (backoff, Retry-After) has not come */
  force?: boolean;
}

export interface CycleReport {
  sources: IngestOutcome[];
  /** sources not fetched because their nextFetch lies ahead */
  skipped: { sourceId: string; nextFetch: string }[];
  added: number;
  updated: number;
  rendered: string[];
  /** whether data/store.json (the items) was rewritten */
  written: boolean;
}

export class App {
  readonly config: Config;
  readonly store: ItemStore;
  readonly feeds = new FeedSet();
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #fetch: FetchFunction | undefined;
  readonly #agent: Agent;
  readonly #queue: HostQueue;
  /** what the feeds were last rendered from, so a cycle that changed no item renders nothing */
  #renderedFrom: string | undefined;
  #pages: { index?: RenderedFeed; opml?: RenderedFeed } = {};
  #cycle: Promise<unknown> = Promise.resolve();
  #pending = new Set<string>();
  #schedule: ScheduleHandle | undefined;
  #server: Server | undefined;
  #lastCycle: string | undefined;
  #maxAge: number;

  private constructor(options: AppOptions, store: ItemStore) {
    this.config = options.config;
    this.store = store;
    this.#log = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#fetch = options.fetch;
    this.#agent = createFetchAgent(this.config.fetch.connectTimeoutMs);
    this.#queue = new HostQueue({ concurrency: this.config.fetch.concurrency, perHost: this.config.fetch.hostConcurrency });
    const schedules = this.enabledSources().map((s) => s.schedule);
    this.#maxAge = Math.max(60, Math.floor(Math.min(...schedules.map(shortestInterval), 3600) / 2));
  }

  /** Opens the store and renders what it holds, so stored feeds are served before any fetch. */
  static async open(options: AppOptions): Promise<App> {
    const store = await ItemStore.open(options.dataDir);
    const app = new App(options, store);
    app.render();
    return app;
  }

  enabledSources(): SourceConfig[] {
    return this.config.sources.filter((s) => s.enabled);
  }

  /**
   * Fetches the given sources (default: all enabled) once, stores the changes in one write, re-renders.
   * Sources whose nextFetch (backoff after failures, or a server's Retry-After) has not come are skipped
   * unless options.force.
   */
  runCycle(ids?: string[], options: CycleOptions = {}): Promise<CycleReport> {
    const run = this.#cycle.then(() => this.#runCycle(ids, options));
    this.#cycle = run.catch(() => {});
    return run;
  }

  async #runCycle(ids: string[] | undefined, options: CycleOptions): Promise<CycleReport> {
    const wanted = ids ? new Set(ids) : undefined;
    const report: CycleReport = { sources: [], skipped: [], added: 0, updated: 0, rendered: [], written: false };
    const now = this.#now();
    const sources = this.enabledSources().filter((s) => {
      if (wanted && !wanted.has(s.id)) return false;
      const { nextFetch } = this.store.sourceState(s.id);
      if (options.force || isDue(nextFetch, now)) return true;
      report.skipped.push({ sourceId: s.id, nextFetch: nextFetch! });
      this.#log.debug({ source: s.id, nextFetch }, 'not fetched: backing off');
      return false;
    });
    const ctx = {
      fetch: {
        timeoutMs: this.config.fetch.timeoutMs,
        connectTimeoutMs: this.config.fetch.connectTimeoutMs,
        maxBytes: this.config.fetch.maxBytes,
        userAgent: this.config.fetch.userAgent ?? USER_AGENT,
        dispatcher: this.#agent,
        ...(this.#fetch ? { fetch: this.#fetch } : {}),
      },
      store: this.store,
      apply: (changes: MergeResult) => {
        this.store.apply(changes.added, changes.updated);
        report.added += changes.added.length;
        report.updated += changes.updated.length;
      },
      now: this.#now,
      idAuthority: new URL(this.config.baseUrl).hostname,
    };
    await Promise.all(sources.map((source) => {
      const url = fetchUrlOf(source, this.store.sourceState(source.id));
      return this.#queue.run(hostOf(url), async () => {
        const outcome = await ingestSource(source, this.store.sourceState(source.id), ctx);
        this.store.setSourceState(outcome.state);
        report.sources.push(outcome);
        this.#logOutcome(outcome);
      });
    }));
    this.store.prune(this.config.retention.maxItemsPerSource);
    try {
      report.written = await this.store.commit();
    } catch (err) {
      // The in-memory state and the served feeds stay as they are; the next cycle writes again.
      this.#log.error({ err, file: this.store.file }, 'store write failed; will retry next cycle');
    }
    report.rendered = this.render();
    this.#lastCycle = this.#now().toISOString();
    return report;
  }

  /** One line per fetch: what an operator greps for when a source misbehaves. */
  #logOutcome(o: IngestOutcome): void {
    const fields = {
      source: o.sourceId, url: o.url, status: o.status, http: o.state.httpStatus ?? null, bytes: o.bytes, ms: o.ms,
      new: o.changes?.added.length ?? 0, updated: o.changes?.updated.length ?? 0,
      ...(o.movedTo ? { movedTo: o.movedTo } : {}),
      ...(o.state.nextFetch ? { nextFetch: o.state.nextFetch, failures: o.state.consecutiveFailures } : {}),
    };
    const moved = o.movedTo ? `; moved permanently to ${o.movedTo} (fetched from there from now on; update its url in the config)` : '';
    if (o.error) this.#log.warn({ ...fields, error: o.error.message }, `fetch failed: ${o.error.message}${moved}`);
    else if (o.movedTo) this.#log.warn(fields, `fetched${moved}`);
    else this.#log.info(fields, 'fetched');
  }

  /** Re-renders the feeds whose items changed; returns their paths. */
  render(): string[] {
    const states = this.store.sourceStates();
    const titles: Record<string, string> = {};
    const sources = new Map<string, SourceInfo>();
    for (const s of this.config.sources) {
      const state = states[s.id];
      titles[s.id] = s.title ?? state?.feedTitle ?? s.id;
      sources.set(s.id, { title: titles[s.id]!, url: s.url, ...(state?.feedLink ? { link: state.feedLink } : {}) });
    }
    // Building the specs walks every item; when neither the items nor the sources' titles changed it can only
    // find nothing to render, which is the common case (most sources answer 304 most of the time).
    const from = `${this.store.generation}\0${JSON.stringify([...sources])}`;
    if (from === this.#renderedFrom) {
      this.#renderPages(false);
      return [];
    }
    this.#renderedFrom = from;
    const site = { title: this.config.title, baseUrl: this.config.baseUrl, limit: this.config.defaults.limit, sources: this.config.sources,
      ...(this.config.description ? { description: this.config.description } : {}) };
    const ctx: RenderContext = { baseUrl: this.config.baseUrl, sources, tagsOf: sourceTagMap(site) };
    const changed = this.feeds.update(buildFeedSpecs(this.store.items(), site, titles), ctx);
    this.#renderPages(true);
    return changed;
  }

  /** The index shows each source's status, so it changes every cycle; the OPML only when the feeds do. */
  #renderPages(feedsChanged: boolean): void {
    const summary = this.#summary();
    this.#pages = {
      index: renderStaticDoc(renderIndexPage(summary), 'text/html; charset=utf-8', this.#pages.index),
      opml: feedsChanged || !this.#pages.opml
        ? renderStaticDoc(renderOpml(summary, newestFeedDate(summary)), 'text/x-opml; charset=utf-8', this.#pages.opml)
        : this.#pages.opml,
    };
  }

  #summary(): SiteSummary {
    const states = this.store.sourceStates();
    return {
      title: this.config.title,
      ...(this.config.description ? { description: this.config.description } : {}),
      baseUrl: this.config.baseUrl,
      feeds: this.feeds.specs(),
      sources: this.#sourceStatuses(states),
    };
  }

  /** Each source's fetch health, for /status and the index page; null where there is nothing to tell yet. */
  #sourceStatuses(states = this.store.sourceStates()): SourceStatus[] {
    const counts = new Map<string, number>();
    for (const item of this.store.items()) counts.set(item.sourceId, (counts.get(item.sourceId) ?? 0) + 1);
    return this.config.sources.map((s) => {
      const state = states[s.id] ?? { id: s.id, consecutiveFailures: 0 };
      const moved = fetchUrlOf(s, state) !== s.url ? fetchUrlOf(s, state) : null;
      return {
        id: s.id, title: s.title ?? state.feedTitle ?? s.id, url: s.url, enabled: s.enabled, items: counts.get(s.id) ?? 0,
        lastFetch: state.lastFetch ?? null, lastSuccess: state.lastSuccess ?? null, httpStatus: state.httpStatus ?? null,
        itemsSeen: state.itemsSeen ?? null, consecutiveFailures: state.consecutiveFailures, nextFetch: state.nextFetch ?? null,
        lastError: state.lastError ?? null, movedTo: moved,
      };
    });
  }

  site(): ServedSite {
    return {
      feed: (path, format) => this.feeds.get(path, format),
      page: (name) => this.#pages[name],
      maxAgeSeconds: () => this.#maxAge,
      health: () => ({
        status: 'ok',
        sources: this.enabledSources().length,
        items: this.store.size,
        lastFetch: this.#lastCycle ?? null,
      }),
      status: () => ({
        lastCycle: this.#lastCycle ?? null,
        sources: this.#sourceStatuses().map((status) => {
          const { etag, lastModified, feedTitle, feedLink } = this.store.sourceState(status.id);
          return { ...status, etag: etag ?? null, lastModified: lastModified ?? null, feedTitle: feedTitle ?? null, feedLink: feedLink ?? null };
        }),
      }),
    };
  }

  /** Starts the HTTP server; resolves with its address once listening. */
  async listen(port: number, host: string): Promise<AddressInfo> {
    const server = createFeedServer(this.site());
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server.address() as AddressInfo;
  }

  /** Runs each source on its schedule; sources falling due together share one cycle (one store write). */
  startSchedule(): void {
    this.#schedule = scheduleSources(this.enabledSources(), (ids) => {
      const first = this.#pending.size === 0;
      for (const id of ids) this.#pending.add(id);
      if (!first) return;
      setTimeout(() => {
        const due = [...this.#pending];
        this.#pending.clear();
        this.runCycle(due).catch((err) => this.#log.error({ err }, 'cycle failed'));
      }, 1000);
    }, { spreadMs: this.config.fetch.spreadMs });
  }

  async close(): Promise<void> {
    await this.#schedule?.stop();
    await this.#cycle;
    if (this.#server) {
      const server = this.#server;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    }
    await this.#agent.close();
  }
}

function newestFeedDate(summary: SiteSummary): string {
  let newest = '1970-01-01T00:00:00.000Z';
  for (const spec of summary.feeds) for (const item of spec.items) if (item.updated > newest) newest = item.updated;
  return new Date(newest).toUTCString();
}
