// One fetch pass of an instance sharing the PostgreSQL store with others: it leases the sources that are due and
// nobody else holds (store/pg/leases.ts: FOR UPDATE SKIP LOCKED), fetches each through the same ingest code as the
// embedded store's cycle (ingest.ts), writes each source's changes in a transaction of its own (dedupe decided in
// the database, store/pg/pg-store.ts), and hands the lease back with the time the source is next due. A host's
// perMinute spacing, its hostConcurrency (store/pg/host-slots.ts) and Retry-After pauses are kept in the database,
// so they hold over all instances together: a paused host's sources are given back, due when the pause ends.
//
// Differences from the embedded cycle (fetch-cycle.ts), by design: each source is written on its own (an instance
// killed mid-pass loses at most the sources it was fetching, which another instance takes once their leases run
// out); retention runs apart (prune), not in the same write; a source is next due at its schedule's next run after
// the fetch (or later, when backoff, Retry-After or the feed's own freshness say so).
import type { Agent } from 'undici';
import type { Config, SourceConfig } from './config/types.ts';
import { NOTHING_STORED, type MergeResult } from './dedupe/merge.ts';
import { publicAddressesFromEnv } from './fetch/address-policy.ts';
import { SourceHttpError } from './fetch/errors.ts';
import { createFetchAgent, type FetchFunction } from './fetch/fetch-source.ts';
import { HostQueue, hostOf } from './fetch/host-queue.ts';
import { RedirectGuards } from './fetch/redirect-guard.ts';
import { ProxyAgents } from './fetch/proxy-agents.ts';
import { FullTextError } from './fulltext/errors.ts';
import { fetchUrlOf, ingestSource, type IngestContext, type IngestOutcome } from './ingest.ts';
import type { Logger } from './log.ts';
import { boundGarbage } from './memory/garbage.ts';
import type { Item, SourceState } from './model.ts';
import { trackingParams } from './normalize/urls.ts';
import { nextRun } from './schedule/scheduler.ts';
import { PgHostSlots } from './store/pg/host-slots.ts';
import type { PgLeases, TakenLease } from './store/pg/leases.ts';
import type { PgStore } from './store/pg/pg-store.ts';

export interface SharedCycleOptions {
  config: () => Config;
  store: PgStore;
  leases: PgLeases;
  /** the tags an item is shown under with the config in force (shared-render.ts siteContext) */
  tags: (item: Item) => readonly string[];
  logger: Logger;
  userAgent: () => string;
  now?: () => Date;
  signal?: AbortSignal;
  /**
   * how long a lease lasts without renewal: a killed instance's sources wait this long (default: the config's
   * store.leaseSeconds, 5 min unless set, read at each pass so that a reloaded config applies at the next one)
   */
  leaseMs?: number;
  /** a test's fetch */
  fetch?: FetchFunction;
}

/**
 * A source's part of a pass report: what it did, not the items. The report lasts as long as the pass, and holding
 * each source's merged and written items kept every item of a pass alive to its end (20,000 at 1,000 sources).
 */
export interface SharedSourceOutcome {
  outcome: Omit<IngestOutcome, 'changes'>;
  written?: { added: number; updated: number; joined: number };
  /** the previous holder, when this instance took the source from one whose lease had run out */
  stolenFrom?: string;
}

export interface SharedCycleReport {
  sources: SharedSourceOutcome[];
  added: number;
  updated: number;
  /** stories another source (in any instance) had stored: joined, not stored again */
  joined: number;
  /** sources not fetched: their host was paused by a Retry-After (due again at its end), or shutdown came first */
  skipped: { sourceId: string; until: string }[];
}

/** What #fetchOne did: fetched and wrote, or did not ask the host (due again at `notFetchedUntil`). */
type FetchedOne = Omit<SharedSourceOutcome, 'stolenFrom'> | { notFetchedUntil: Date };



export class SharedCycle {
  readonly #o: SharedCycleOptions;
  readonly #agent: Agent;
  readonly #guards: RedirectGuards;
  readonly #proxies: ProxyAgents;
  readonly #slots: PgHostSlots;
  /** the pass's lease length: host slots last as long, renewed with the leases, so a killed instance's free with them */
  #leaseMs = 0;
  /** the sources this instance holds a lease on now (fetching them) */
  readonly #held = new Set<string>();

  constructor(options: SharedCycleOptions) {
    this.#o = options;
    const { fetch } = options.config();
    this.#agent = createFetchAgent(fetch.connectTimeoutMs);
    this.#guards = new RedirectGuards(fetch.connectTimeoutMs, publicAddressesFromEnv());
    this.#proxies = new ProxyAgents(fetch.connectTimeoutMs);
    this.#slots = new PgHostSlots(options.store.pool, options.leases.holder);
  }

  /** Fetches every source due now (of `only`, when given) that no other instance holds, and stores what it finds. */
  async run(only?: readonly string[]): Promise<SharedCycleReport> {
    const config = this.#o.config();
    const now = this.#o.now ?? (() => new Date());
    const leaseMs = this.#o.leaseMs ?? config.store.leaseSeconds * 1000;
    this.#leaseMs = leaseMs;
    const enabled = config.sources.filter((s) => s.enabled);
    const byId = new Map(enabled.map((s) => [s.id, s]));
    await this.#o.leases.sync(enabled.map((s) => s.id));
    const report: SharedCycleReport = { sources: [], added: 0, updated: 0, joined: 0, skipped: [] };
    const queue = new HostQueue({ concurrency: config.fetch.concurrency, perHost: config.fetch.hostConcurrency });
    const held = this.#held;
    // Long fetches keep their leases: renewed at a third of their length, so a slow source is never stolen.
    const renewal = setInterval(() => {
      if (held.size === 0) return;
      void this.#o.leases.renew([...held], leaseMs).catch((err) => this.#o.logger.warn({ err }, 'could not renew fetch leases'));
      void this.#slots.renew(leaseMs).catch((err) => this.#o.logger.warn({ err }, 'could not renew host slots'));
    }, Math.max(1_000, leaseMs / 3));
    renewal.unref();
    try {
      // Leases are taken a few at a time, as fetches end, so a thousand due sources are spread over the instances
      // asking, and a slow source holds one of fetch.concurrency slots, not a whole batch's (issue 16).
      const concurrency = config.fetch.concurrency;
      const refillAt = Math.max(1, Math.ceil(concurrency / 4));
      const running = new Set<Promise<void>>();
      let drained = false;
      let failure: { err: unknown } | undefined;
      for (;;) {
        const free = concurrency - running.size;
        if (!drained && free >= refillAt && !this.#o.signal?.aborted) {
          let taken: TakenLease[];
          let states: Map<string, SourceState>;
          try {
            taken = await this.#o.leases.takeDue(free, leaseMs, only);
            // The states of those taken in one read, not one each: this instance holds their leases, so nobody changes them.
            states = taken.length === 0 ? new Map() : await this.#o.store.sourceStatesOf(taken.map((l) => l.sourceId));
          } catch (err) {
            // The database failed: the fetches running end first (a lease taken here runs out), then the pass fails.
            failure = { err };
            drained = true;
            continue;
          }
          // Nothing due is left unleased: what is running now ends this pass (a source handed back is due later).
          if (taken.length === 0) drained = true;
          else {
            for (const lease of taken) {
              held.add(lease.sourceId);
              const one: Promise<void> = this.#leased(lease, byId, states, report, queue, config, now).finally(() => {
                held.delete(lease.sourceId);
                running.delete(one);
              });
              running.add(one);
            }
            // The documents, parsed and normalized items of the fetches that ended are garbage now.
            boundGarbage();
            continue;
          }
        }
        if (running.size === 0) break;
        await Promise.race(running);
        if (this.#o.signal?.aborted) drained = true;
      }
      if (failure) throw failure.err;
    } finally {
      clearInterval(renewal);
    }
    return report;
  }

  /** Fetches one leased source, stores what it found and hands the lease back with the time it is next due. */
  async #leased(lease: TakenLease, byId: ReadonlyMap<string, SourceConfig>, states: ReadonlyMap<string, SourceState>, report: SharedCycleReport,
    queue: HostQueue, config: Config, now: () => Date): Promise<void> {
    try {
      const source = byId.get(lease.sourceId);
      if (!source) return;
      const previous = states.get(source.id) ?? { id: source.id, consecutiveFailures: 0 };
      const done = await this.#fetchOne(source, previous, queue, config, now);
      if ('notFetchedUntil' in done) {
        report.skipped.push({ sourceId: source.id, until: done.notFetchedUntil.toISOString() });
        await this.#o.leases.release(source.id, done.notFetchedUntil);
        return;
      }
      // Item pages under the same lease: no other instance reads this source's pages meanwhile.
      if (source.fullText && done.outcome.status !== 'error') await this.#readFullText(source, queue, config, now);
      report.sources.push({ ...done, ...(lease.stolenFrom ? { stolenFrom: lease.stolenFrom } : {}) });
      report.added += done.written?.added ?? 0;
      report.updated += done.written?.updated ?? 0;
      report.joined += done.written?.joined ?? 0;
      await this.#o.leases.release(source.id, this.#nextDue(source, done.outcome, now()));
    } catch (err) {
      // The store could not be written: the lease runs out and this or another instance fetches it again.
      this.#o.logger.error({ err, source: lease.sourceId }, `source ${lease.sourceId}: not stored (${(err as Error).message}); fetched again once its lease runs out`);
    }
  }

  /** the sources this instance is fetching under a lease now */
  get holding(): string[] {
    return [...this.#held].sort();
  }

  async close(): Promise<void> {
    await Promise.all([this.#agent.close(), this.#guards.close(), this.#proxies.close()]);
  }

  async #fetchOne(source: SourceConfig, previous: SourceState, queue: HostQueue, config: Config, now: () => Date): Promise<FetchedOne> {
    const { store, leases } = this.#o;
    const url = fetchUrlOf(source, previous);
    const host = hostOf(url);
    let changes: MergeResult | undefined;
    const fetched = await queue.run(host, () => this.#politely(host, config, () => ingestSource(source, previous, this.#context(config, now, (c) => (changes = c)))));
    if ('notAskedUntil' in fetched) {
      this.#o.logger.debug({ source: source.id, host, until: fetched.notAskedUntil.toISOString() }, 'not fetched: host paused, or shutdown');
      return { notFetchedUntil: fetched.notAskedUntil };
    }
    const outcome = fetched.value;
    if (outcome.error instanceof SourceHttpError && outcome.error.retryAfter) await leases.pauseHost(host, outcome.error.retryAfter);
    const written = await store.write({
      sourceId: source.id, added: changes?.added ?? [], updated: changes?.updated ?? [], state: outcome.state,
      titleWindowMs: config.dedupe.titleWindowHours * 3600_000, tags: this.#o.tags,
    });
    this.#o.logger.info({ source: source.id, status: outcome.status, added: written.added.length, updated: written.updated.length, joined: written.joined.length, ms: outcome.ms },
      outcome.error ? `source ${source.id}: ${outcome.error.message}` : `source ${source.id}: ${written.added.length} new, ${written.updated.length} updated`);
    const { changes: _items, ...kept } = outcome;
    return { outcome: kept, written: { added: written.added.length, updated: written.updated.length, joined: written.joined.length } };
  }

  /**
   * Runs a request to `host` as every instance together allows: not while a Retry-After pause lasts (then undefined
   * with its end), after the host's perMinute spacing, holding one of its hostConcurrency slots. Shutdown while
   * waiting: not run, due again now.
   */
  async #politely<T>(host: string, config: Config, request: () => Promise<T>): Promise<{ value: T } | { notAskedUntil: Date }> {
    const paused = await this.#slots.pausedUntil(host);
    if (paused) return { notAskedUntil: paused };
    const perMinute = config.hosts[host]?.perMinute;
    if (perMinute) {
      const slot = await this.#o.leases.reserveHostSlot(host, perMinute);
      if (slot.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, slot.waitMs));
    }
    return await this.#slots.run(host, config.fetch.hostConcurrency, this.#leaseMs, this.#o.signal, request) ?? { notAskedUntil: new Date() };
  }

  /**
   * The pages of the source's items that need one (fulltext/full-text-pass.ts), through the host queue, the host's
   * perMinute slots and Retry-After pauses kept in the database. The full-text code loads only when a source uses it.
   */
  async #readFullText(source: SourceConfig, queue: HostQueue, config: Config, now: () => Date): Promise<void> {
    const { store, leases, logger } = this.#o;
    const [{ fetchPage }, { readFullText }] = await Promise.all([import('./fulltext/fetch-page.ts'), import('./fulltext/full-text-pass.ts')]);
    const ctx = this.#context(config, now, () => {});
    try {
      await readFullText([source], {
        store: {
          itemsOf: (id) => store.pageStates(id),
          update: async (_id, changes) => void await store.rewrite(changes, this.#o.tags),
          sourceState: (id) => store.sourceState(id),
          setSourceState: (state) => store.setSourceState(state),
        },
        now, logger,
        fetchPage: (url, src) => {
          const host = hostOf(url);
          return queue.run(host, async () => {
            if (this.#o.signal?.aborted) return undefined;
            const proxy = ctx.proxyFor?.(src);
            // A paused host, or shutdown while waiting: the page stays due.
            const read = await this.#politely(host, config, async () => {
              try {
                return await fetchPage(url, src, { ...ctx.fetch, ...(proxy ? { dispatcher: proxy, isProxied: true } : {}), now });
              } catch (err) {
                // Cut short by shutdown: not the page's failure, so it stays due.
                if (this.#o.signal?.aborted) return undefined;
                const cause = err instanceof FullTextError ? err.cause : undefined;
                if (cause instanceof SourceHttpError && cause.retryAfter) await leases.pauseHost(host, cause.retryAfter);
                throw err;
              }
            });
            return 'value' in read ? read.value : undefined;
          });
        },
      });
    } catch (err) {
      // The store could not be written: the pages stay due and are read at the source's next fetch.
      logger.error({ err, source: source.id }, `source ${source.id}: item pages not stored (${(err as Error).message})`);
    }
  }

  #context(config: Config, now: () => Date, keep: (changes: MergeResult) => void): IngestContext {
    const guard = this.#guards.for(config.fetch.allowPrivateRedirects);
    return {
      fetch: {
        timeoutMs: config.fetch.timeoutMs, connectTimeoutMs: config.fetch.connectTimeoutMs, maxBytes: config.fetch.maxBytes,
        userAgent: this.#o.userAgent(), dispatcher: this.#agent,
        ...(guard ? { redirectGuard: guard } : {}),
        ...(this.#o.signal ? { signal: this.#o.signal } : {}),
        ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
      },
      proxyFor: (source) => this.#proxies.for(source.proxy ?? config.fetch.proxy),
      // Dedupe compares with what the database holds for these items; the write checks again in its transaction.
      store: NOTHING_STORED,
      storeFor: (sourceId, fresh) => this.#o.store.candidates(sourceId, fresh),
      apply: (changes) => {
        keep(changes);
        return [];
      },
      now,
      freshness: { minMs: config.fetch.minIntervalMs, maxMs: config.fetch.maxIntervalMs },
      idAuthority: new URL(config.baseUrl).hostname,
      dedupe: {
        trackingParams: trackingParams(config.dedupe.trackingParams),
        merge: { titleWindowMs: config.dedupe.titleWindowHours * 3600_000 },
      },
    };
  }

  /** The schedule's next run after this fetch, or later when backoff, Retry-After or the feed's freshness say so. */
  #nextDue(source: SourceConfig, outcome: IngestOutcome, now: Date): Date {
    const scheduled = nextRun(source.schedule, now);
    const asked = outcome.state.nextFetch ? new Date(outcome.state.nextFetch) : undefined;
    return asked && asked > scheduled ? asked : scheduled;
  }
}
