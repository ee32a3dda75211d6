// One fetch cycle: fetches the given sources, stores their changes in one write, re-renders. app.ts runs cycles
// one at a time and between config changes; this module holds what only a cycle needs: the connection pool, the
// per-host queue, pauses and rates, the sources to fetch again after a failed write, and the log line of each fetch.
import type { Agent } from 'undici';
import type { Config, SourceConfig } from './config/types.ts';
import type { MergeResult } from './dedupe/merge.ts';
import { SourceHttpError } from './fetch/errors.ts';
import { createFetchAgent, type FetchFunction, type RedirectGuard } from './fetch/fetch-source.ts';
import { HostPauses } from './fetch/host-pauses.ts';
import { HostQueue, hostOf } from './fetch/host-queue.ts';
import { HostRate } from './fetch/host-rate.ts';
import { publicAddressesFromEnv } from './fetch/address-policy.ts';
import { RedirectGuards } from './fetch/redirect-guard.ts';
import { ProxyAgents } from './fetch/proxy-agents.ts';
import { readCyclePages } from './fulltext/cycle-pages.ts';
import type { FullTextReport } from './fulltext/full-text-pass.ts';
import { fetchUrlOf, ingestSource, type DocumentReading, type IngestContext, type IngestOutcome } from './ingest.ts';
import { logFetch, logSettledRetention } from './cycle-log.ts';
import type { Logger } from './log.ts';
import { trackingParams } from './normalize/urls.ts';
import { isDue } from './schedule/backoff.ts';
import type { ServiceMetrics } from './serve/metrics.ts';
import { topicUrls } from './serve/websub/topics.ts';
import type { WebSub } from './serve/websub/websub.ts';
import { StoreWriteError } from './store/errors.ts';
import { admitNew, type RetentionPolicy } from './store/retention.ts';
import { settleRetention, settleRetentionSteps } from './store/retention-changes.ts';
import { LoopPacer, runInSlices } from './store/slices.ts';
import type { ItemStore, PruneReport } from './store/store.ts';
import { ReadPool, type ReadPoolOptions } from './workers/read-pool.ts';

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
  /** item pages read for the sources with fullText that this cycle fetched */
  fullText?: FullTextReport[];
}

export interface FetchCycleOptions {
  /** the config in force; read at each cycle, and by the host pauses and rates at each fetch */
  config: () => Config;
  store: ItemStore;
  logger: Logger;
  now: () => Date;
  fetch?: FetchFunction | undefined;
  /** the User-Agent of each fetch (the config's, or the service's own) */
  userAgent: () => string;
  metrics: Pick<ServiceMetrics, 'observeFetch' | 'observeWrite'>;
  /** re-renders the feeds whose items changed, yielding to requests meanwhile; resolves with their paths */
  render: () => string[] | Promise<string[]>;
  websub: Pick<WebSub, 'published'>;
  /** drop the items of sources no longer configured, after each cycle (--purge) */
  purge: boolean;
  /** aborted when shutdown runs out of patience: in-flight fetches and waits for a host's rate stop */
  signal: AbortSignal;
  /** shutdown has begun: no fetch starts any more */
  isStopping: () => boolean;
  /** waits ms for a host's request rate (hosts.<host>.perMinute) */
  sleep: (ms: number) => Promise<void>;
  /**
   * the worker threads that parse and normalize fetched documents (size, per-document time and memory limits);
   * false reads on this thread, as a bare cycle in a test may; a pool given is shared (tests: one per file, as a
   * worker's start costs a second of CPU) and left open by close()
   */
  readers?: ReadPoolOptions | ReadPool | false;
  /**
   * before the fetches of a cycle (the service: stops its idle render worker, whose heap would otherwise wait 30 s
   * beside the read workers'; the cycle's render starts it again)
   */
  beforeFetching?: () => Promise<void>;
}

/** Runs fetch cycles; the caller makes sure that only one runs at a time. */
export class FetchCycle {
  readonly #options: FetchCycleOptions;
  readonly #log: Logger;
  readonly #agent: Agent;
  readonly #guards: RedirectGuards;
  readonly #proxies: ProxyAgents;
  readonly #queue: HostQueue;
  readonly #pauses: HostPauses;
  readonly #rate: HostRate;
  /** spreads the start of the cycle's fetches over turns of the event loop */
  readonly #pacer = new LoopPacer();
  /** parses fetched documents off the serving thread; workers start with the first document */
  readonly #readers: ReadPool | undefined;
  readonly #ownsReaders: boolean;
  /** sources of a cycle whose write failed: fetched again by the next cycle */
  readonly #retry = new Set<string>();
  #storeError: { message: string; at: string } | undefined;
  #lastCycle: string | undefined;

  constructor(options: FetchCycleOptions) {
    this.#options = options;
    this.#log = options.logger;
    const { fetch } = options.config();
    this.#agent = createFetchAgent(fetch.connectTimeoutMs);
    this.#guards = new RedirectGuards(fetch.connectTimeoutMs, publicAddressesFromEnv());
    this.#proxies = new ProxyAgents(fetch.connectTimeoutMs);
    this.#queue = new HostQueue({ concurrency: fetch.concurrency, perHost: fetch.hostConcurrency });
    this.#pauses = new HostPauses((host) => options.config().hosts[host] ?? {});
    this.#rate = new HostRate({ perMinute: (host) => options.config().hosts[host]?.perMinute, now: options.now, sleep: options.sleep });
    const { readers } = options;
    this.#ownsReaders = !(readers instanceof ReadPool);
    this.#readers = readers === false ? undefined : readers instanceof ReadPool ? readers : new ReadPool(readers ?? {});
  }

  /** when the last cycle ended (ISO date) */
  get lastCycle(): string | undefined {
    return this.#lastCycle;
  }

  /** why the last cycle's store write failed, until a write succeeds */
  get storeError(): { message: string; at: string } | undefined {
    return this.#storeError;
  }

  /**
   * Fetches the given sources (default: all enabled) once, stores the changes in one write, re-renders.
   * Sources whose nextFetch (backoff after failures, or a server's Retry-After) has not come are skipped
   * unless options.force.
   */
  async run(ids: string[] | undefined, options: CycleOptions): Promise<CycleReport> {
    const report: CycleReport = { sources: [], skipped: [], added: 0, updated: 0, rendered: [], written: false };
    if (this.#options.isStopping()) return report;
    const { store, metrics, signal } = this.#options;
    const sources = this.#sourcesToFetch(ids, options, report);
    await this.#options.beforeFetching?.();
    const policy = await this.#settleRetentionInSlices();
    const ctx = this.#ingestContext(policy, report);
    await Promise.all(sources.map((source) => {
      const url = fetchUrlOf(source, store.sourceState(source.id));
      return this.#queue.run(hostOf(url), async () => {
        if (this.#options.isStopping()) return; // shutdown: in-flight fetches finish, none start
        const host = hostOf(url);
        // The host may have asked for a pause while this source waited in the queue behind another of its sources.
        if (!options.force && !this.#retry.has(source.id) && this.#hostPaused(source.id, url, report)) return;
        await this.#rate.acquire(host, signal);
        await this.#pacer.turn();
        if (this.#options.isStopping()) return;
        const outcome = await ingestSource(source, store.sourceState(source.id), ctx);
        this.#pauseHostOf(outcome);
        report.sources.push(outcome);
        if (outcome.status === 'error' && signal.aborted) {
          // Cut short by shutdown: not the source's failure, so its state stays as it was.
          this.#log.info({ source: source.id }, 'fetch aborted by shutdown');
          return;
        }
        store.setSourceState(outcome.state);
        metrics.observeFetch(outcome);
        logFetch(this.#log, outcome);
      });
    }));
    const fetched = new Set(report.sources.filter((o) => o.status !== 'error').map((o) => o.sourceId));
    const withPages = sources.filter((s) => s.fullText && fetched.has(s.id));
    if (withPages.length > 0 && !this.#options.isStopping()) {
      report.fullText = await readCyclePages(withPages, {
        store, now: this.#options.now, logger: this.#log, signal, isStopping: this.#options.isStopping, ingest: ctx,
        queue: this.#queue, pauses: this.#pauses, rate: this.#rate, readers: this.#readers,
        pauseHostFor: (error, sourceId) => this.#pauseHostFor(error, sourceId, undefined),
      });
    }
    // Pruning looks at every stored item, and settling at every source: both between requests (issue 15).
    // Every document of the cycle is read: the read workers' heaps go now, not 30 s into the render and the write.
    // A pool shared with others (tests) is left as it is.
    if (this.#ownsReaders) await this.#readers?.stopIdle();
    report.pruned = await store.pruneInSlices(policy, this.#options.now());
    if (report.pruned.byCount + report.pruned.byAge + report.pruned.purged.length > 0) this.#log.info(report.pruned, 'retention pruned items');
    // Records the rule of sources whose first items this cycle stored, so that an edit from now on waits too.
    await this.#settleRetentionInSlices();
    await this.#commit(sources, report);
    this.#lastCycle = this.#options.now().toISOString();
    return report;
  }

  /** Closes the connection pool and stops the read workers; after the last cycle. */
  async close(): Promise<void> {
    await Promise.all([this.#agent.close(), this.#guards.close(), this.#proxies.close(), this.#ownsReaders ? this.#readers?.close() : undefined]);
  }

  #sourcesToFetch(ids: string[] | undefined, options: CycleOptions, report: CycleReport): SourceConfig[] {
    const { store } = this.#options;
    const wanted = ids ? new Set([...ids, ...this.#retry]) : undefined;
    const now = this.#options.now();
    return this.#options.config().sources.filter((s) => s.enabled).filter((s) => {
      if (wanted && !wanted.has(s.id)) return false;
      const { nextFetch } = store.sourceState(s.id);
      // A source whose last cycle was lost to a failed store write is fetched again, backoff or not.
      if (options.force || this.#retry.has(s.id)) return true;
      if (isDue(nextFetch, now)) return !this.#hostPaused(s.id, fetchUrlOf(s, store.sourceState(s.id)), report);
      report.skipped.push({ sourceId: s.id, nextFetch: nextFetch! });
      this.#log.debug({ source: s.id, nextFetch }, 'not fetched: backing off');
      return false;
    });
  }

  #ingestContext(policy: RetentionPolicy, report: CycleReport): IngestContext {
    const { store, now } = this.#options;
    const config = this.#options.config();
    return {
      fetch: {
        timeoutMs: config.fetch.timeoutMs,
        connectTimeoutMs: config.fetch.connectTimeoutMs,
        maxBytes: config.fetch.maxBytes,
        userAgent: this.#options.userAgent(),
        dispatcher: this.#agent,
        ...optionalGuard(this.#guards.for(config.fetch.allowPrivateRedirects)),
        signal: this.#options.signal,
        ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
      },
      proxyFor: (source) => this.#proxies.for(source.proxy ?? config.fetch.proxy),
      store,
      apply: (changes: MergeResult) => {
        const { stored, refused } = admitNew(changes.added, policy, store, now());
        store.apply(stored, changes.updated);
        report.added += stored.length;
        report.updated += changes.updated.length;
        return refused;
      },
      now,
      ...(this.#readers ? { read: this.#readerFor(config) } : {}),
      freshness: { minMs: config.fetch.minIntervalMs, maxMs: config.fetch.maxIntervalMs },
      idAuthority: new URL(config.baseUrl).hostname,
      dedupe: {
        trackingParams: trackingParams(config.dedupe.trackingParams),
        merge: { titleWindowMs: config.dedupe.titleWindowHours * 3600 * 1000 },
      },
    };
  }

  /** Reads on the pool, with the cycle's config's tracking parameters (the matcher itself cannot cross to a worker). */
  #readerFor(config: Config): DocumentReading {
    const readers = this.#readers!;
    const names = config.dedupe.trackingParams;
    return (text, ctx, select) => readers.read(text, ctx, select, names);
  }

  /** Writes the cycle's changes in one write (items before source states), then renders and pings the hubs. */
  async #commit(sources: SourceConfig[], report: CycleReport): Promise<void> {
    const { store, metrics } = this.#options;
    const writeStarted = performance.now();
    try {
      report.written = await store.commit();
      if (report.written) metrics.observeWrite(performance.now() - writeStarted, true);
      this.#retry.clear();
      this.#storeError = undefined;
      await this.#renderAndPublish(report);
    } catch (err) {
      if (!(err instanceof StoreWriteError)) throw err;
      metrics.observeWrite(performance.now() - writeStarted, false);
      // The store rolled memory back to the files on disk, so the served feeds, not re-rendered when the items'
      // write failed, still match them. The sources of this cycle are fetched again next cycle.
      for (const s of sources) this.#retry.add(s.id);
      this.#storeError = { message: err.message, at: this.#options.now().toISOString() };
      this.#log.error({ file: err.file, code: err.code, err: err.cause }, err.message);
      report.writeError = err;
      // Only sources.json failed: the items on disk are this cycle's (the rollback kept them), so the feeds show them.
      if (err.file === store.stateFile) await this.#renderAndPublish(report);
    }
  }

  async #renderAndPublish(report: CycleReport): Promise<void> {
    report.rendered = await this.#options.render();
    await this.#options.websub.published(topicUrls(this.#options.config().baseUrl, report.rendered));
  }

  /** Whether the source's host is paused by an earlier Retry-After; records the skip in the report. */
  #hostPaused(sourceId: string, url: string, report: CycleReport): boolean {
    const host = hostOf(url);
    const until = this.#pauses.pausedUntil(host, this.#options.now());
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
    this.#pauseHostFor(outcome.error, outcome.sourceId, outcome.state.nextFetch);
  }

  /** #pauseHostOf for an error met by `sourceId` (a feed's fetch, or one of its item pages), backing off until `backoff`. */
  #pauseHostFor(error: unknown, sourceId: string, backoff: string | undefined): void {
    if (!(error instanceof SourceHttpError)) return;
    const until = error.retryAfter ?? (error.status === 429 && backoff ? new Date(backoff) : undefined);
    if (!until) return;
    const host = hostOf(error.answeredBy);
    if (this.#pauses.pause(host, until, this.#options.now())) {
      const why = error.retryAfter ? 'with Retry-After' : 'without Retry-After (paused for its backoff)';
      this.#log.warn({ host, until: until.toISOString(), source: sourceId, http: error.status },
        `pausing host ${host} until ${until.toISOString()}: it answered ${error.status} ${why}`);
    }
  }

  /**
   * The retention rules to follow now: the config's, except that a stricter rule a config edit asks for waits a day
   * (store/retention-changes.ts). Records and logs what changed; the next commit writes it.
   */
  settleRetention(): RetentionPolicy {
    return logSettledRetention(this.#log, settleRetention(this.#options.store, this.#options.config(), this.#options.purge, this.#options.now()));
  }

  /** settleRetention() between requests, as a cycle settles (1,000 sources: 20–35 ms of work). */
  async #settleRetentionInSlices(): Promise<RetentionPolicy> {
    return logSettledRetention(this.#log, await runInSlices(settleRetentionSteps(this.#options.store, this.#options.config(), this.#options.purge, this.#options.now())));
  }

}

function optionalGuard(guard: RedirectGuard | undefined): { redirectGuard?: RedirectGuard } {
  return guard ? { redirectGuard: guard } : {};
}
