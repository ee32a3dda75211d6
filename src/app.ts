// Wires the stages together; the only module that knows all of them.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config, SourceConfig } from './config/types.ts';
import type { MergeResult } from './dedupe/merge.ts';
import type { Agent } from 'undici';
import { createFetchAgent, type FetchFunction } from './fetch/fetch-source.ts';
import { SourceHttpError } from './fetch/errors.ts';
import { HostPauses } from './fetch/host-pauses.ts';
import { HostQueue, hostOf } from './fetch/host-queue.ts';
import { HostRate } from './fetch/host-rate.ts';
import { setTimeout as delay } from 'node:timers/promises';
import { fetchUrlOf, ingestSource, type IngestOutcome } from './ingest.ts';
import type { Logger } from './log.ts';
import { trackingParams } from './normalize/urls.ts';
import { FeedSet } from './render/feed-set.ts';
import { isDue } from './schedule/backoff.ts';
import { scheduleSources, shortestInterval, type ScheduleHandle } from './schedule/scheduler.ts';
import { createFeedServer, type ServedSite } from './serve/server.ts';
import { StoreWriteError } from './store/errors.ts';
import { admitNew, retentionPolicy, type RetentionPolicy } from './store/retention.ts';
import { ItemStore, type PruneReport } from './store/store.ts';
import { ServiceMetrics } from './serve/metrics.ts';
import { topicUrls } from './serve/websub/topics.ts';
import { openWebSub, type WebSub } from './serve/websub/websub.ts';
import { ComposedFeeds } from './render/composed-feeds.ts';
import { SiteRenderer, sourceStatuses } from './site-render.ts';

export const USER_AGENT = 'Tributary/0.1 (self-hosted feed aggregator; +https://github.com/tributary-aggregator)';

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
}

export interface CycleOptions {
  /** fetch even the sources whose nextFetch (backoff, Retry-After) has not come */
  force?: boolean;
}

export interface CycleReport {
  sources: IngestOutcome[];
  /** sources not fetched because their nextFetch lies ahead, or their host asked for a pause (host) */
  skipped: { sourceId: string; nextFetch: string; host?: string }[];
  added: number;
  updated: number;
  rendered: string[];
  /** whether data/store.json (the items) was rewritten */
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
  readonly metrics: ServiceMetrics;
  readonly websub: WebSub;
  /** tag feeds composed in the URL (ai+china, ai,finance), rendered on request */
  readonly composed = new ComposedFeeds();
  readonly #renderer: SiteRenderer;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #fetch: FetchFunction | undefined;
  readonly #agent: Agent;
  readonly #queue: HostQueue;
  readonly #pauses: HostPauses;
  readonly #rate: HostRate;
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

  private constructor(options: AppOptions, store: ItemStore, websub: WebSub) {
    this.#config = options.config;
    this.store = store;
    this.websub = websub;
    this.metrics = new ServiceMetrics(() => itemCounts(this.store.items()));
    this.#log = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#fetch = options.fetch;
    this.#agent = createFetchAgent(this.config.fetch.connectTimeoutMs);
    this.#queue = new HostQueue({ concurrency: this.config.fetch.concurrency, perHost: this.config.fetch.hostConcurrency });
    this.#purge = options.purge ?? false;
    this.#pauses = new HostPauses((host) => this.config.hosts[host] ?? {});
    const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, { signal: this.#abort.signal }).catch(() => {}));
    this.#rate = new HostRate({ perMinute: (host) => this.config.hosts[host]?.perMinute, now: this.#now, sleep });
    this.configStatus = { files: options.config.files, loadedAt: this.#now().toISOString() };
    this.#renderer = new SiteRenderer({
      config: () => this.config, store, feeds: this.feeds, composed: this.composed, hubs: () => this.websub.hubs(),
      observe: (ms, rendered) => this.metrics.observeRender(ms, rendered),
    });
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
    // undici's fetch and the global one are the same function at run time; only their request types differ.
    const fetch = options.fetch as unknown as typeof globalThis.fetch | undefined;
    const websub = await openWebSub({ ...options, fetch, userAgent: options.config.fetch.userAgent ?? USER_AGENT }, () => app);
    const app: App = new App(options, store, websub);
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
    const report: CycleReport = { sources: [], skipped: [], added: 0, updated: 0, rendered: [], written: false };
    if (this.#stopping) return report;
    const wanted = ids ? new Set([...ids, ...this.#retry]) : undefined;
    const now = this.#now();
    const sources = this.enabledSources().filter((s) => {
      if (wanted && !wanted.has(s.id)) return false;
      const { nextFetch } = this.store.sourceState(s.id);
      // A source whose last cycle was lost to a failed store write is fetched again, backoff or not.
      if (options.force || this.#retry.has(s.id)) return true;
      if (isDue(nextFetch, now)) return !this.#hostPaused(s.id, fetchUrlOf(s, this.store.sourceState(s.id)), report);
      report.skipped.push({ sourceId: s.id, nextFetch: nextFetch! });
      this.#log.debug({ source: s.id, nextFetch }, 'not fetched: backing off');
      return false;
    });
    const policy = this.#retentionPolicy();
    const ctx = {
      fetch: {
        timeoutMs: this.config.fetch.timeoutMs,
        connectTimeoutMs: this.config.fetch.connectTimeoutMs,
        maxBytes: this.config.fetch.maxBytes,
        userAgent: this.config.fetch.userAgent ?? USER_AGENT,
        dispatcher: this.#agent,
        signal: this.#abort.signal,
        ...(this.#fetch ? { fetch: this.#fetch } : {}),
      },
      store: this.store,
      apply: (changes: MergeResult) => {
        const { stored, refused } = admitNew(changes.added, policy, this.store, this.#now());
        this.store.apply(stored, changes.updated);
        report.added += stored.length;
        report.updated += changes.updated.length;
        return refused;
      },
      now: this.#now,
      freshness: { minMs: this.config.fetch.minIntervalMs, maxMs: this.config.fetch.maxIntervalMs },
      idAuthority: new URL(this.config.baseUrl).hostname,
      dedupe: {
        trackingParams: trackingParams(this.config.dedupe.trackingParams),
        merge: { titleWindowMs: this.config.dedupe.titleWindowHours * 3600 * 1000 },
      },
    };
    await Promise.all(sources.map((source) => {
      const url = fetchUrlOf(source, this.store.sourceState(source.id));
      return this.#queue.run(hostOf(url), async () => {
        if (this.#stopping) return; // shutdown: in-flight fetches finish, none start
        const host = hostOf(url);
        // The host may have asked for a pause while this source waited in the queue behind another of its sources.
        if (!options.force && !this.#retry.has(source.id) && this.#hostPaused(source.id, url, report)) return;
        await this.#rate.acquire(host, this.#abort.signal);
        if (this.#stopping) return;
        const outcome = await ingestSource(source, this.store.sourceState(source.id), ctx);
        this.#pauseHostOf(outcome);
        report.sources.push(outcome);
        if (outcome.status === 'error' && this.#abort.signal.aborted) {
          // Cut short by shutdown: not the source's failure, so its state stays as it was.
          this.#log.info({ source: source.id }, 'fetch aborted by shutdown');
          return;
        }
        this.store.setSourceState(outcome.state);
        this.metrics.observeFetch(outcome);
        this.#logOutcome(outcome);
      });
    }));
    report.pruned = this.store.prune(policy, this.#now());
    if (report.pruned.byCount + report.pruned.byAge + report.pruned.purged.length > 0) this.#log.info(report.pruned, 'retention pruned items');
    const writeStarted = performance.now();
    try {
      report.written = await this.store.commit();
      if (report.written) this.metrics.observeWrite(performance.now() - writeStarted, true);
      this.#retry.clear();
      this.#storeError = undefined;
      report.rendered = this.render();
      await this.websub.published(topicUrls(this.config.baseUrl, report.rendered));
    } catch (err) {
      if (!(err instanceof StoreWriteError)) throw err;
      this.metrics.observeWrite(performance.now() - writeStarted, false);
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

  /** Whether the source's host is paused by an earlier Retry-After; records the skip in the report. */
  #hostPaused(sourceId: string, url: string, report: CycleReport): boolean {
    const host = hostOf(url);
    const until = this.#pauses.pausedUntil(host, this.#now());
    if (!until) return false;
    report.skipped.push({ sourceId, nextFetch: until.toISOString(), host });
    this.#log.debug({ source: sourceId, host, until: until.toISOString() }, 'not fetched: host asked for a pause');
    return true;
  }

  /**
   * A 429/503 with Retry-After pauses every source of the host that sent it (see fetch/host-pauses.ts); so does
   * a bare 429, which speaks of our rate towards the host, for as long as the answering source backs off.
   */
  #pauseHostOf(outcome: IngestOutcome): void {
    const error = outcome.error;
    if (!(error instanceof SourceHttpError)) return;
    const until = error.retryAfter ?? (error.status === 429 && outcome.state.nextFetch ? new Date(outcome.state.nextFetch) : undefined);
    if (!until) return;
    const host = hostOf(error.answeredBy);
    if (this.#pauses.pause(host, until, this.#now())) {
      const why = error.retryAfter ? 'with Retry-After' : 'without Retry-After (paused for its backoff)';
      this.#log.warn({ host, until: until.toISOString(), source: outcome.sourceId, http: error.status },
        `pausing host ${host} until ${until.toISOString()}: it answered ${error.status} ${why}`);
    }
  }

  #retentionPolicy(): RetentionPolicy {
    return retentionPolicy(this.config.retention, this.config.sources, this.#purge);
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
    if (o.keySwitch) {
      const { mode, switchedFrom } = o.keySwitch;
      this.#log.warn({ source: o.sourceId, dedupeKey: mode, previousKey: switchedFrom.mode, badShare: Math.round(switchedFrom.badShare * 1000) / 1000 },
        `dedupe key switched from ${switchedFrom.mode} to ${mode}: ${Math.round(switchedFrom.badShare * 100)}% of the items had a blank or repeated ${switchedFrom.mode}`);
    }
    if (o.error) this.#log.warn({ ...fields, error: o.error.message }, `fetch failed: ${o.error.message}${moved}`);
    else if (o.movedTo) this.#log.warn(fields, `fetched${moved}`);
    else this.#log.info(fields, 'fetched');
  }

  /** Re-renders the feeds whose items changed; returns their paths. */
  render(): string[] {
    return this.#renderer.render();
  }

  site(): ServedSite {
    return {
      feed: (path, format) => this.feeds.get(path, format) ?? this.composed.get(path, format),
      view: (path, format, query) => this.feeds.view(path, format, query) ?? this.composed.view(path, format, query),
      page: (name) => this.#renderer.page(name),
      metrics: async () => ({ contentType: this.metrics.contentType, body: await this.metrics.text() }),
      onRequest: (route, status) => this.metrics.observeRequest(route, status),
      ...(this.websub.hub ? { hub: (form: URLSearchParams) => this.websub.hub!.request(form) } : {}),
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
        sources: sourceStatuses(this.config, this.store).map((status) => {
          const { etag, lastModified, feedTitle, feedLink, dedupeKey } = this.store.sourceState(status.id);
          return {
            ...status, etag: etag ?? null, lastModified: lastModified ?? null, feedTitle: feedTitle ?? null, feedLink: feedLink ?? null,
            dedupeKey: dedupeKey ?? 'guid',
          };
        }),
        websub: this.websub.status(),
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
    await this.websub.close();
    if (this.#server) {
      const server = this.#server;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    }
    await this.#agent.close();
  }
}

function itemCounts(items: readonly { sourceId: string }[]): { total: number; bySource: Map<string, number> } {
  const bySource = new Map<string, number>();
  for (const item of items) bySource.set(item.sourceId, (bySource.get(item.sourceId) ?? 0) + 1);
  return { total: items.length, bySource };
}
