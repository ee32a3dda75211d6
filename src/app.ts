// Wires the stages together; the only module that knows all of them.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config, SourceConfig } from './config/types.ts';
import type { MergeResult } from './dedupe/merge.ts';
import type { FetchFunction } from './fetch/fetch-source.ts';
import { ingestSource, type IngestOutcome } from './ingest.ts';
import type { Logger } from './log.ts';
import { buildFeedSpecs, sourceTagMap, type SiteInfo } from './render/feed-specs.ts';
import { FeedSet } from './render/feed-set.ts';
import type { RenderContext, RenderedFeed, SourceInfo } from './render/render-feed.ts';
import { scheduleSources, shortestInterval, type ScheduleHandle } from './schedule/scheduler.ts';
import { renderIndexPage, renderOpml, type SiteSummary } from './serve/pages.ts';
import { createFeedServer, type ServedSite } from './serve/server.ts';
import { ItemStore } from './store/store.ts';
import { renderStaticDoc } from './render/static-doc.ts';
import { ComposedFeeds } from './render/composed-feeds.ts';
import { RuleTagging } from './rules/tagger.ts';

export const USER_AGENT = 'Tributary/0.1 (self-hosted feed aggregator; +https://github.com/tributary-aggregator)';

export interface AppOptions {
  config: Config;
  dataDir: string;
  logger: Logger;
  fetch?: FetchFunction;
  now?: () => Date;
  /** concurrent fetches in one cycle */
  concurrency?: number;
}

export interface CycleReport {
  sources: IngestOutcome[];
  added: number;
  updated: number;
  rendered: string[];
  written: boolean;
}

export class App {
  readonly config: Config;
  readonly store: ItemStore;
  readonly feeds = new FeedSet();
  /** tag feeds composed in the URL (ai+china, ai,finance), rendered on request */
  readonly composed = new ComposedFeeds();
  readonly #tagging = new RuleTagging();
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #fetch: FetchFunction | undefined;
  readonly #concurrency: number;
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
    this.#concurrency = options.concurrency ?? 8;
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

  /** Fetches the given sources (default: all enabled) once, stores the changes in one write, re-renders. */
  runCycle(ids?: string[]): Promise<CycleReport> {
    const run = this.#cycle.then(() => this.#runCycle(ids));
    this.#cycle = run.catch(() => {});
    return run;
  }

  async #runCycle(ids: string[] | undefined): Promise<CycleReport> {
    const wanted = ids ? new Set(ids) : undefined;
    const sources = this.enabledSources().filter((s) => !wanted || wanted.has(s.id));
    const report: CycleReport = { sources: [], added: 0, updated: 0, rendered: [], written: false };
    const ctx = {
      fetch: {
        timeoutMs: this.config.fetch.timeoutMs,
        maxBytes: this.config.fetch.maxBytes,
        userAgent: this.config.fetch.userAgent ?? USER_AGENT,
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
    await forEachLimited(sources, this.#concurrency, async (source) => {
      const outcome = await ingestSource(source, this.store.sourceState(source.id), ctx);
      this.store.setSourceState(outcome.state);
      report.sources.push(outcome);
      this.#logOutcome(outcome);
    });
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

  #logOutcome(o: IngestOutcome): void {
    const fields = {
      source: o.sourceId, status: o.status, http: o.state.httpStatus, bytes: o.bytes, ms: o.ms,
      new: o.changes?.added.length ?? 0, updated: o.changes?.updated.length ?? 0,
    };
    if (o.error) this.#log.warn({ ...fields, error: o.error.message }, `fetch failed: ${o.error.message}`);
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
    const site = { title: this.config.title, baseUrl: this.config.baseUrl, limit: this.config.defaults.limit, sources: this.config.sources,
      ...(this.config.description ? { description: this.config.description } : {}),
      ...this.#vertical() };
    // Rule tags come from the rules in force at each render, so a new config re-tags stored items by itself.
    const tagger = this.#tagging.forRules(this.config.rules ?? []);
    const ctx: RenderContext = { baseUrl: this.config.baseUrl, sources, tagsOf: sourceTagMap(site), ruleTags: tagger.tagsOf };
    const changed = this.feeds.update(buildFeedSpecs(this.store.items(), site, titles, tagger.tagsOf), ctx);
    this.composed.refresh({ items: this.store.items(), site, ctx });
    tagger.endPass();
    this.#renderPages();
    return changed;
  }

  #vertical(): Pick<SiteInfo, 'rules' | 'tags'> {
    return { ...(this.config.rules ? { rules: this.config.rules } : {}), ...(this.config.tags ? { tags: this.config.tags } : {}) };
  }

  #renderPages(): void {
    const summary = this.#summary();
    this.#pages = {
      index: renderStaticDoc(renderIndexPage(summary), 'text/html; charset=utf-8', this.#pages.index),
      opml: renderStaticDoc(renderOpml(summary, newestFeedDate(summary)), 'text/x-opml; charset=utf-8', this.#pages.opml),
    };
  }

  #summary(): SiteSummary {
    const states = this.store.sourceStates();
    const counts = new Map<string, number>();
    for (const item of this.store.items()) counts.set(item.sourceId, (counts.get(item.sourceId) ?? 0) + 1);
    return {
      title: this.config.title,
      ...(this.config.description ? { description: this.config.description } : {}),
      baseUrl: this.config.baseUrl,
      feeds: this.feeds.specs(),
      sources: this.config.sources.map((s) => {
        const state = states[s.id];
        return {
          id: s.id, title: s.title ?? state?.feedTitle ?? s.id, url: s.url, items: counts.get(s.id) ?? 0,
          consecutiveFailures: state?.consecutiveFailures ?? 0,
          ...(state?.lastSuccess ? { lastSuccess: state.lastSuccess } : {}),
          ...(state?.lastError ? { lastError: state.lastError } : {}),
        };
      }),
    };
  }

  site(): ServedSite {
    return {
      feed: (path, format) => this.feeds.get(path, format) ?? this.composed.get(path, format),
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
        sources: this.config.sources.map((s) => ({ ...this.store.sourceState(s.id), id: s.id, url: s.url, enabled: s.enabled })),
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
    }, { jitterMs: 10_000 });
  }

  async close(): Promise<void> {
    await this.#schedule?.stop();
    await this.#cycle;
    if (this.#server) {
      const server = this.#server;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    }
  }
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function newestFeedDate(summary: SiteSummary): string {
  let newest = '1970-01-01T00:00:00.000Z';
  for (const spec of summary.feeds) for (const item of spec.items) if (item.updated > newest) newest = item.updated;
  return new Date(newest).toUTCString();
}
