// Wires the stages together; the only module that knows all of them.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config, SourceConfig } from './config/types.ts';
import type { FetchFunction } from './fetch/fetch-source.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { summarizeCycle } from './cycle-summary.ts';
import { FetchCycle, type CycleOptions, type CycleReport } from './fetch-cycle.ts';
import type { Logger } from './log.ts';
import { FeedSet } from './render/feed-set.ts';
import { FEED_FORMATS, type RenderedFeed } from './render/render-feed.ts';
import { renderKey, storeStamp, type RenderedDocs } from './render/rendered-docs.ts';
import { scheduleSources, type ScheduleHandle } from './schedule/scheduler.ts';
import { createFeedServer, useSite, type ServedSite } from './serve/server.ts';
import { ItemStore } from './store/store.ts';
import { ServiceMetrics } from './serve/metrics.ts';
import { openWebSub, type WebSub } from './serve/websub/websub.ts';
import { ComposedFeeds } from './render/composed-feeds.ts';
import { SiteRenderer } from './site-render.ts';
import { siteHealth, siteStatus, type ConfigStatus } from './site-status.ts';
import { cacheMaxAge } from './starting-site.ts';
import type { ReadPool, ReadPoolOptions } from './workers/read-pool.ts';
import { RenderThread, type RenderThreadOptions } from './workers/render-thread.ts';
import { USER_AGENT } from './fetch/user-agent.ts';

export type { CycleOptions, CycleReport } from './fetch-cycle.ts';
export type { ConfigStatus } from './site-status.ts';

export { USER_AGENT };

export interface AppOptions {
  config: Config;
  dataDir: string;
  logger: Logger;
  fetch?: FetchFunction;
  now?: () => Date;
  /** move an unreadable store file aside and start from the newest good backup (--recover) */
  recover?: boolean;
  /** drop the items of sources no longer configured, after each cycle (--purge) */
  purge?: boolean;
  /** waits between attempts of a WebSub ping or delivery (default: a minute, ten minutes, an hour) */
  websubRetryDelaysMs?: readonly number[];
  /** waits ms for a host's request rate (hosts.<host>.perMinute); tests pass one that moves their clock */
  sleep?: (ms: number) => Promise<void>;
  /** keep every render's documents there, for the next start to serve while its store loads (serve does) */
  renderedDocs?: RenderedDocs;
  /** the worker threads that read fetched documents: size and per-document limits (workers/read-pool.ts defaults),
   * or a pool to share (tests: see FetchCycleOptions.readers) */
  readers?: ReadPoolOptions | ReadPool;
  /** the worker thread that renders the feeds after a cycle (workers/render-thread.ts); false renders on this thread, yielding */
  renderer?: RenderThreadOptions | false;
  /** called every few hundred items while the store loads (serve: the heap-limit check, cli/heap-limit.ts) */
  loadCheckpoint?: () => void;
}


export class App {
  #config: Config;
  /** served as /status "config"; whoever reloads the config keeps it current */
  configStatus: ConfigStatus;
  readonly store: ItemStore;
  readonly feeds = new FeedSet();
  readonly metrics: ServiceMetrics;
  readonly websub: WebSub;
  /** tag feeds composed in the URL (ai+china, ai,finance), rendered on request */
  readonly composed = new ComposedFeeds();
  readonly #renderer: SiteRenderer;
  readonly #renderThread: RenderThread | undefined;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #cycles: FetchCycle;
  #cycle: Promise<unknown> = Promise.resolve();
  #pending = new Set<string>();
  #schedule: ScheduleHandle | undefined;
  #server: Server | undefined;
  #maxAge = 60;
  /** aborts in-flight fetches when shutdown runs out of patience */
  readonly #abort = new AbortController();
  #stopping = false;
  #coalesce: NodeJS.Timeout | undefined;
  readonly #docs: RenderedDocs | undefined;
  /** renderKey() of the config in force, computed once per config */
  #renderKey: { config: Config; key: string } | undefined;
  /** the index and OPML last kept, to keep them again when a request writes them anew */
  #keptPages: Partial<Record<'index' | 'opml', RenderedFeed>> = {};

  private constructor(options: AppOptions, store: ItemStore, websub: WebSub) {
    this.#config = options.config;
    this.store = store;
    this.websub = websub;
    this.metrics = new ServiceMetrics(() => ({ total: this.store.size, bySource: this.store.countsBySource() }));
    this.#log = options.logger;
    this.#docs = options.renderedDocs;
    const docs = options.renderedDocs;
    // A feed unchanged since the last run gets its HTML page with the bytes and ETag of then.
    if (docs) this.feeds.seedHtml((path) => docs.htmlSeed(path));
    this.#now = options.now ?? (() => new Date());
    this.#cycles = new FetchCycle({
      config: () => this.config, store, logger: this.#log, now: this.#now, fetch: options.fetch,
      userAgent: () => this.config.fetch.userAgent ?? USER_AGENT,
      metrics: this.metrics, render: () => this.renderYielding(), websub, purge: options.purge ?? false,
      signal: this.#abort.signal, isStopping: () => this.#stopping,
      sleep: options.sleep ?? ((ms: number) => delay(ms, undefined, { signal: this.#abort.signal }).catch(() => {})),
      ...(options.readers ? { readers: options.readers } : {}),
      beforeFetching: async () => {
        await this.#renderThread?.stopIdle();
      },
    });
    this.configStatus = { files: options.config.files, loadedAt: this.#now().toISOString() };
    this.#renderThread = options.renderer === false ? undefined : new RenderThread({
      ...options.renderer,
      onFallback: (err) => this.#log.warn({ err }, `the render worker failed (${err.message}); the feeds were rendered on the serving thread`),
    });
    const thread = this.#renderThread;
    this.#renderer = new SiteRenderer({
      config: () => this.config, store, feeds: this.feeds, composed: this.composed, hubs: () => this.websub.hubs(),
      observe: (ms, rendered) => this.metrics.observeRender(ms, rendered),
      configError: () => (this.configStatus.error ? { message: this.configStatus.error, at: this.configStatus.errorAt ?? '' } : undefined),
      ...(thread ? { renderDocs: (docs, ctx) => thread.render(docs, ctx) } : {}),
    });
    this.#updateMaxAge();
    // A config edited while the service was stopped: its stricter retention waits too, and /status says so at once.
    this.#cycles.settleRetention();
  }

  /** Opens the store and renders what it holds, so stored feeds are served before any fetch. */
  static async open(options: AppOptions): Promise<App> {
    const store = await ItemStore.open(options.dataDir, {
      backups: options.config.store.backups,
      ...(options.recover ? { recover: true } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(options.loadCheckpoint ? { loadCheckpoint: options.loadCheckpoint } : {}),
      warn: (message, err) => options.logger.warn({ err }, message),
    });
    const websub = await openWebSub({ ...options, userAgent: options.config.fetch.userAgent ?? USER_AGENT }, () => app);
    const app: App = new App(options, store, websub);
    // Yielding: serve listens first and answers from the kept documents while this renders (cli/serve.ts).
    await app.renderYielding();
    websub.start();
    return app;
  }

  get config(): Config {
    return this.#config;
  }

  #updateMaxAge(): void {
    this.#maxAge = cacheMaxAge(this.config);
  }

  /**
   * Switches to an already validated config between cycles (never during one, so a render never sees
   * half-applied items): reschedules and re-renders. Fetching new sources is the caller's choice.
   */
  useConfig(next: Config): Promise<void> {
    const applied = this.#cycle.then(async () => {
      this.#config = next;
      this.store.backups.keep = next.store.backups;
      this.#updateMaxAge();
      this.#cycles.settleRetention();
      // A reload that lands during shutdown must not bring the stopped schedule back.
      if (this.#schedule && !this.#stopping) this.#restartSchedule();
      await this.renderYielding();
    });
    this.#cycle = applied.catch(() => {});
    return applied;
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
    const run = this.#cycle.then(() => this.#runLogged(ids, options));
    this.#cycle = run.catch(() => {});
    return run;
  }

  /** A line when a cycle starts and its summary when it ends: the console's account of the service's work. */
  async #runLogged(ids: string[] | undefined, options: CycleOptions): Promise<CycleReport> {
    const started = performance.now();
    const count = ids?.length ?? this.enabledSources().length;
    this.#log.info({ sources: count }, `cycle started: ${count} source${count === 1 ? '' : 's'}${ids ? '' : ' (all enabled)'}`);
    const report = await this.#cycles.run(ids, options);
    const failed = report.sources.filter((s) => s.status === 'error').length;
    const fields = { fetched: report.sources.length, failed, skipped: report.skipped.length, added: report.added, updated: report.updated };
    this.#log.info(fields, summarizeCycle(report, performance.now() - started));
    return report;
  }

  get #lastCycle(): string | undefined {
    return this.#cycles.lastCycle;
  }

  get #storeError(): { message: string; at: string } | undefined {
    return this.#cycles.storeError;
  }

  /** Re-renders the feeds whose items changed, at once (holding the event loop meanwhile); returns their paths. */
  render(): string[] {
    const changed = this.#renderer.render();
    this.#keepRendered();
    return changed;
  }

  /**
   * renderYielding() once the cycle or config change in progress has ended, never beside it: for a render asked for
   * from outside them (the index's banner of a refused config edit). Beside a cycle it rendered items not yet written
   * (a failed write rolls them back), and the cycle's own render, finding nothing left to render, reported no changed
   * feed: no WebSub ping for them, and the cycle could end before the feeds showing its items were swapped in.
   */
  renderBetweenCycles(): Promise<string[]> {
    const rendered = this.#cycle.then(() => this.renderYielding());
    this.#cycle = rendered.catch(() => {});
    return rendered;
  }

  /**
   * Re-renders the feeds whose items changed without holding the event loop for more than a few milliseconds at
   * a time, so requests are answered meanwhile (from the previous render until the new one is swapped in whole).
   * Cycles and config changes call it in turn; anything else calls renderBetweenCycles().
   */
  async renderYielding(): Promise<string[]> {
    const changed = await this.#renderer.renderYielding();
    this.#keepRendered();
    return changed;
  }

  /**
   * Hands every document now served to the rendered-docs writer (which writes only the new ones, in the
   * background). After every render, even one that changed nothing: the manifest must name the store files as
   * they are now (a cycle of 304s still rewrites sources.json), or the next start would rightly refuse it.
   */
  #keepRendered(): void {
    if (!this.#docs) return;
    const docs = new Map<string, RenderedFeed>();
    for (const spec of this.feeds.specs()) {
      for (const format of FEED_FORMATS) {
        const doc = this.feeds.get(spec.path, format);
        if (doc) docs.set(`${spec.path}.${format}`, doc);
      }
    }
    for (const name of ['index', 'opml'] as const) {
      const page = this.#renderer.written(name);
      this.#keptPages[name] = page;
      if (page) docs.set(name, page);
    }
    if (this.#renderKey?.config !== this.config) this.#renderKey = { config: this.config, key: renderKey(this.config) };
    this.#docs.save({
      key: this.#renderKey.key, stamp: storeStamp([this.store.file, this.store.stateFile]), items: this.store.size,
      lastCycle: this.#lastCycle ?? null, docs,
    });
  }

  #page(name: 'index' | 'opml' | 'stylesheet'): RenderedFeed | undefined {
    const doc = this.#renderer.page(name);
    // The index or OPML written anew by this request: kept too, so the next start serves it.
    if (name !== 'stylesheet' && doc !== this.#keptPages[name]) this.#keepRendered();
    return doc;
  }

  site(): ServedSite {
    return {
      feed: (path, format) => this.feeds.get(path, format) ?? this.composed.get(path, format),
      view: (path, format, query) => this.feeds.view(path, format, query) ?? this.composed.view(path, format, query),
      page: (name) => this.#page(name),
      metrics: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.text() }),
      onRequest: (route, status) => this.metrics.observeRequest(route, status),
      ...(this.websub.hub ? { hub: (form: URLSearchParams, client: string) => this.websub.hub!.request(form, client) } : {}),
      maxAgeSeconds: () => this.#maxAge,
      language: () => this.config.language,
      health: () => siteHealth({ config: this.config, store: this.store, lastCycle: this.#lastCycle }),
      status: () => siteStatus({
        config: this.config, configStatus: this.configStatus, store: this.store, websub: this.websub, lastCycle: this.#lastCycle, storeError: this.#storeError,
      }),
    };
  }

  /** Starts the HTTP server; resolves with its address once listening. */
  async listen(port: number, host: string): Promise<AddressInfo> {
    const server = createFeedServer(this.site());
    this.#server = server;
    return listenOn(server, port, host);
  }

  /**
   * Takes over a server already listening (serve listens before the store is loaded, answering from the kept
   * documents meanwhile): from now on it answers from this app, and close() closes it.
   */
  adopt(server: Server): void {
    useSite(server, this.site());
    this.#server = server;
    this.#docs?.retire();
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
    }, { spreadMs: this.config.fetch.spreadMs });
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
    // WebSub requests stop starting now too, and those in flight share the same grace; close() awaits them.
    this.websub.stop(graceMs).catch(() => {}); // its outcome is close()'s to report
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

  /**
   * Waits for the cycle in progress (which commits the store), then closes WebSub (requests in flight get
   * `websubGraceMs`, or the grace stopCycles gave; what is not done is kept for the next start) and the server.
   */
  async close(websubGraceMs?: number): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#coalesce);
    await this.#schedule?.stop();
    await this.#cycle;
    await this.websub.close(websubGraceMs);
    if (this.#server) {
      const server = this.#server;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    }
    await Promise.all([this.#cycles.close(), this.#renderThread?.close()]);
    if (this.#docs) {
      // The index and OPML as they are now, so the next start serves them too (they are otherwise written on request).
      this.#page('index');
      this.#page('opml');
      await this.#docs.flush();
    }
  }
}

/** Resolves with the address once `server` listens. */
export async function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server.address() as AddressInfo;
}
