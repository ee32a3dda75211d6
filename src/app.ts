// Wires the stages together; the only module that knows all of them.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config, SourceConfig } from './config/types.ts';
import type { MergeResult } from './dedupe/merge.ts';
import type { FetchFunction } from './fetch/fetch-source.ts';
import { ingestSource, type IngestOutcome } from './ingest.ts';
import type { Logger } from './log.ts';
import { buildFeedSpecs, sourceTagMap } from './render/feed-specs.ts';
import { FeedSet } from './render/feed-set.ts';
import type { RenderContext, RenderedFeed, SourceInfo } from './render/render-feed.ts';
import { scheduleSources, shortestInterval, type ScheduleHandle } from './schedule/scheduler.ts';
import { renderIndexPage, renderOpml, type SiteSummary } from './serve/pages.ts';
import { createFeedServer, type ServedSite } from './serve/server.ts';
import { StoreWriteError } from './store/errors.ts';
import { isExpiredUnder, retentionPolicy, type RetentionPolicy } from './store/retention.ts';
import { ItemStore, type PruneReport } from './store/store.ts';
import { renderStaticDoc } from './render/static-doc.ts';

export const USER_AGENT = 'Tributary/0.1 (self-hosted feed aggregator; +https://github.com/tributary-aggregator)';

export interface AppOptions {
  config: Config;
  dataDir: string;
  logger: Logger;
  fetch?: FetchFunction;
  now?: () => Date;
  /** concurrent fetches in one cycle */
  concurrency?: number;
  /** move an unreadable store file aside and start from the newest good backup (--recover) */
  recover?: boolean;
  /** drop the items of sources no longer configured, after each cycle (--purge) */
  purge?: boolean;
}

export interface CycleReport {
  sources: IngestOutcome[];
  added: number;
  updated: number;
  rendered: string[];
  written: boolean;
  pruned?: PruneReport;
  /** the store could not be written: memory was rolled back and these sources are fetched again next cycle */
  writeError?: StoreWriteError;
}

/** /status "config": which files the running config came from, and the last rejected change. */
export interface ConfigStatus {
  files: string[];
  loadedAt: string;
  error?: string;
  errorAt?: string;
}

export class App {
  #config: Config;
  /** served as /status "config"; whoever reloads the config keeps it current */
  configStatus: ConfigStatus;
  readonly store: ItemStore;
  readonly feeds = new FeedSet();
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
  #maxAge = 60;
  readonly #purge: boolean;
  /** sources of a cycle whose write failed: fetched again by the next cycle */
  readonly #retry = new Set<string>();
  #storeError: { message: string; at: string } | undefined;
  /** aborts in-flight fetches when shutdown runs out of patience */
  readonly #abort = new AbortController();
  #stopping = false;
  #coalesce: NodeJS.Timeout | undefined;

  private constructor(options: AppOptions, store: ItemStore) {
    this.#config = options.config;
    this.store = store;
    this.#log = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#fetch = options.fetch;
    this.#concurrency = options.concurrency ?? 8;
    this.#purge = options.purge ?? false;
    this.configStatus = { files: options.config.files, loadedAt: this.#now().toISOString() };
    this.#updateMaxAge();
  }

  /** Opens the store and renders what it holds, so stored feeds are served before any fetch. */
  static async open(options: AppOptions): Promise<App> {
    const store = await ItemStore.open(options.dataDir, {
      backups: options.config.store.backups,
      ...(options.recover ? { recover: true } : {}),
      ...(options.now ? { now: options.now } : {}),
      warn: (message, err) => options.logger.warn({ err }, message),
    });
    const app = new App(options, store);
    app.render();
    return app;
  }

  get config(): Config {
    return this.#config;
  }

  #updateMaxAge(): void {
    const schedules = this.enabledSources().map((s) => s.schedule);
    this.#maxAge = Math.max(60, Math.floor(Math.min(...schedules.map(shortestInterval), 3600) / 2));
  }

  /**
   * Switches to an already validated config between cycles (never during one, so a render never sees
   * half-applied items): reschedules and re-renders. Fetching new sources is the caller's choice.
   */
  useConfig(next: Config): Promise<void> {
    const applied = this.#cycle.then(() => {
      this.#config = next;
      this.store.backups.keep = next.store.backups;
      this.#updateMaxAge();
      // A reload that lands during shutdown must not bring the stopped schedule back.
      if (this.#schedule && !this.#stopping) this.#restartSchedule();
      this.render();
    });
    this.#cycle = applied.catch(() => {});
    return applied;
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
    const report: CycleReport = { sources: [], added: 0, updated: 0, rendered: [], written: false };
    if (this.#stopping) return report;
    const wanted = ids ? new Set([...ids, ...this.#retry]) : undefined;
    const sources = this.enabledSources().filter((s) => !wanted || wanted.has(s.id));
    const policy = this.#retentionPolicy();
    const ctx = {
      fetch: {
        timeoutMs: this.config.fetch.timeoutMs,
        maxBytes: this.config.fetch.maxBytes,
        userAgent: this.config.fetch.userAgent ?? USER_AGENT,
        signal: this.#abort.signal,
        ...(this.#fetch ? { fetch: this.#fetch } : {}),
      },
      store: this.store,
      apply: (changes: MergeResult) => {
        // An item retention would drop at once is not stored, or it would come back as new every cycle.
        const added = changes.added.filter((item) => !isExpiredUnder(policy, item, this.#now()));
        this.store.apply(added, changes.updated);
        report.added += added.length;
        report.updated += changes.updated.length;
      },
      now: this.#now,
      idAuthority: new URL(this.config.baseUrl).hostname,
    };
    await forEachLimited(sources, this.#concurrency, async (source) => {
      if (this.#stopping) return; // shutdown: in-flight fetches finish, none start
      const outcome = await ingestSource(source, this.store.sourceState(source.id), ctx);
      report.sources.push(outcome);
      if (outcome.status === 'error' && this.#abort.signal.aborted) {
        // Cut short by shutdown: not the source's failure, so its state stays as it was.
        this.#log.info({ source: source.id }, 'fetch aborted by shutdown');
        return;
      }
      this.store.setSourceState(outcome.state);
      this.#logOutcome(outcome);
    });
    report.pruned = this.store.prune(policy, this.#now());
    if (report.pruned.byCount + report.pruned.byAge + report.pruned.purged.length > 0) this.#log.info(report.pruned, 'retention pruned items');
    try {
      report.written = await this.store.commit();
      this.#retry.clear();
      this.#storeError = undefined;
      report.rendered = this.render();
    } catch (err) {
      if (!(err instanceof StoreWriteError)) throw err;
      // The store rolled memory back to the file on disk, so the served feeds, which are not re-rendered,
      // still match it. The sources of this cycle are fetched again next cycle.
      for (const s of sources) this.#retry.add(s.id);
      this.#storeError = { message: err.message, at: this.#now().toISOString() };
      this.#log.error({ file: err.file, code: err.code, err: err.cause }, err.message);
      report.writeError = err;
    }
    this.#lastCycle = this.#now().toISOString();
    return report;
  }

  #retentionPolicy(): RetentionPolicy {
    return retentionPolicy(this.config.retention, this.config.sources, this.#purge);
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
      ...(this.config.description ? { description: this.config.description } : {}) };
    const ctx: RenderContext = { baseUrl: this.config.baseUrl, sources, tagsOf: sourceTagMap(site) };
    const changed = this.feeds.update(buildFeedSpecs(this.store.items(), site, titles), ctx);
    this.#renderPages();
    return changed;
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
        config: this.configStatus,
        store: { ...this.store.status(), ...(this.#storeError ? { error: this.#storeError.message, errorAt: this.#storeError.at } : {}) },
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
      if (this.#stopping) return;
      const first = this.#pending.size === 0;
      for (const id of ids) this.#pending.add(id);
      if (!first) return;
      this.#coalesce = setTimeout(() => {
        const due = [...this.#pending];
        this.#pending.clear();
        this.runCycle(due).catch((err) => this.#log.error({ err }, 'cycle failed'));
      }, 1000);
    }, { jitterMs: 10_000 });
  }

  #restartSchedule(): void {
    const old = this.#schedule;
    this.startSchedule();
    old?.stop().catch((err) => this.#log.error({ err }, 'stopping the old schedule failed'));
  }

  /**
   * First half of a graceful stop: no cycle or fetch starts any more; in-flight fetches get `graceMs` to
   * finish and are then aborted. Resolves once the cycle in progress has committed; true if it aborted any.
   */
  async stopCycles(graceMs: number): Promise<boolean> {
    this.#stopping = true;
    clearTimeout(this.#coalesce);
    this.#pending.clear();
    await this.#schedule?.stop();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.#cycle.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (finished) return false;
    this.#abort.abort();
    await this.#cycle;
    return true;
  }

  /** Waits for the cycle in progress (which commits the store), then closes the server. */
  async close(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#coalesce);
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
