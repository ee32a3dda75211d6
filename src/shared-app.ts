// The service on the PostgreSQL store, one of several instances sharing a database (the embedded store's service
// is app.ts). Each instance, by its role:
//   fetch (roles all, fetch)  passes over the sources every few seconds, fetching those that are due and that no
//                             other instance holds (shared-cycle.ts: leases, host spacing in the database);
//   render (every role)       the instance holding the render lock renders the feeds whose items changed and
//                             publishes them with the index and the OPML (shared-render.ts); the others try to take
//                             the lock now and then, so a killed renderer is replaced;
//   serve (roles all, serve)  keeps every published document in memory, following LISTEN/NOTIFY (store/pg/follower.ts),
//                             and answers feeds from memory: no request for a feed queries the database (older
//                             pages, filtered views and tag feeds composed in the URL are read from it on their first
//                             request: shared-views.ts).
// A database outage pauses fetching and rendering (each pass fails, is counted and logged, and the next one tries
// again); serving goes on from memory and /healthz says degraded until the database answers again.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter, Gauge } from 'prom-client';
import { USER_AGENT, type ConfigStatus } from './app.ts';
import type { Config } from './config/types.ts';
import type { FetchFunction } from './fetch/fetch-source.ts';
import type { Logger } from './log.ts';
import type { Item, SourceState } from './model.ts';
import { ServiceMetrics } from './serve/metrics.ts';
import { topicName, topicUrls } from './serve/websub/topics.ts';
import type { WebSub } from './serve/websub/websub.ts';
import type { ServedSite } from './serve/server.ts';
import { SharedCycle, type SharedCycleReport } from './shared-cycle.ts';
import { SharedRenderer } from './shared-render.ts';
import { SharedSite, sum, type DatabaseHealth } from './shared-site.ts';
import { SharedViews } from './shared-views.ts';
import { openSharedWebSub } from './shared-websub.ts';
import { siteContext } from './site-context.ts';
import { RuleTagging } from './rules/tagger.ts';
import { PgLeases } from './store/pg/leases.ts';
import { PgStore } from './store/pg/pg-store.ts';
import { RenderedFollower } from './store/pg/follower.ts';
import { RenderLock } from './store/pg/rendered.ts';
import { CoalescedRuns } from './schedule/coalesced-runs.ts';

export type InstanceRole = 'all' | 'fetch' | 'serve';

/** What `fetch --once` did on the PostgreSQL store. */
export interface SharedOnceReport extends SharedCycleReport {
  /** backing off, not fetched (without --force or --source) */
  backingOff: { sourceId: string; nextFetch: string }[];
  /** being fetched by a running instance at that moment: left to it */
  heldElsewhere: string[];
  /** whether this process rendered and published the change (else the instance holding the render lock does) */
  rendered: boolean;
  /** items stored in the database */
  stored: number;
}
export const INSTANCE_ROLES: readonly InstanceRole[] = ['all', 'fetch', 'serve'];

export interface SharedAppOptions {
  config: Config;
  databaseUrl: string;
  role: InstanceRole;
  logger: Logger;
  /** this instance's name in leases, /status and /metrics (default: host name, process id and a random suffix) */
  instanceId?: string;
  fetch?: FetchFunction;
  now?: () => Date;
  /** a fetch lease's length without renewal (default: the config's store.leaseSeconds): a killed instance's sources wait this long */
  leaseMs?: number;
  /** the wait between two fetch passes (default 10 s) */
  passEveryMs?: number;
  /** the wait between two looks for changes to render (default 5 s) */
  renderEveryMs?: number;
  /** the wait between two reads of the sources' states for /status, /healthz and /metrics (default 10 s) */
  statusEveryMs?: number;
  /** the follower's periodic check behind LISTEN/NOTIFY (default 30 s) */
  followEveryMs?: number;
  /** waits between attempts of a hub ping or a delivery of the built-in hub (tests) */
  websubRetryDelaysMs?: readonly number[];
  /** the built-in hub: a lease on a delivery (default websub.timeoutSeconds and 15 s) */
  websubLeaseMs?: number;
  /** the built-in hub: the wait between two looks for deliveries due (default 5 s) */
  websubEveryMs?: number;
}

export class SharedApp {
  readonly instanceId: string;
  readonly role: InstanceRole;
  readonly store: PgStore;
  configStatus: ConfigStatus;
  readonly metrics: ServiceMetrics;
  /** pings websub.hub after a publication, and runs the built-in hub (set by open) */
  websub!: WebSub;
  #config: Config;
  readonly #o: SharedAppOptions;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #lock: RenderLock;
  readonly #renderer: SharedRenderer;
  readonly #cycle: SharedCycle | undefined;
  readonly #leases: PgLeases;
  #follower: RenderedFollower | undefined;
  readonly #abort = new AbortController();
  #stopping = false;
  readonly #timers: NodeJS.Timeout[] = [];
  #passing: Promise<void> = Promise.resolve();
  readonly #renders = new CoalescedRuns(() => this.#renderOnce(), () => this.#stopping);
  readonly #db: DatabaseHealth = { ok: true, errors: 0 };
  #steals = 0;
  #lastCycle: string | undefined;
  #states: Record<string, SourceState> = {};
  #counts = new Map<string, number>();
  readonly #site: SharedSite;
  readonly #stealCounter: Counter;
  readonly #dbErrors: Counter;
  readonly #tagging = new RuleTagging();
  #tags: { config: Config; tags: (item: Item) => readonly string[] } | undefined;

  private constructor(options: SharedAppOptions, store: PgStore) {
    this.#o = options;
    this.#config = options.config;
    this.#log = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.store = store;
    this.role = options.role;
    this.instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.configStatus = { files: options.config.files, loadedAt: this.#now().toISOString() };
    this.metrics = new ServiceMetrics(() => ({ total: sum(this.#counts), bySource: this.#counts }));
    const registers = [this.metrics.registry];
    const labels = { instance: this.instanceId, role: this.role };
    this.#stealCounter = new Counter({ name: 'tributary_lease_steals_total', help: 'Sources this instance took over from an instance whose lease had run out', registers });
    this.#dbErrors = new Counter({ name: 'tributary_database_errors_total', help: 'Failed database operations (fetch passes, renders, reads of the published documents)', registers });
    new Gauge({ name: 'tributary_instance', help: 'This instance (always 1), labelled with its id and role', labelNames: ['instance', 'role'], registers,
      collect() { this.set(labels, 1); } });
    const cycle = () => this.#cycle;
    new Gauge({ name: 'tributary_leases_held', help: 'Fetch leases this instance holds now', registers,
      collect() { this.set(cycle()?.holding.length ?? 0); } });
    const lock = () => this.#lock;
    new Gauge({ name: 'tributary_renderer', help: '1 while this instance holds the render lock', registers,
      collect() { this.set(lock().held ? 1 : 0); } });
    const database = this.#db;
    new Gauge({ name: 'tributary_database_up', help: '1 when the last database operation succeeded', registers,
      collect() { this.set(database.ok ? 1 : 0); } });
    this.#lock = new RenderLock(options.databaseUrl);
    this.#renderer = new SharedRenderer({ config: () => this.#config, store, hubs: () => this.#hubs(), local: () => this.#follower,
      configError: () => (this.configStatus.error ? { message: this.configStatus.error, at: this.configStatus.errorAt ?? '' } : undefined) });
    this.#leases = new PgLeases(store.pool, this.instanceId);
    this.#cycle = options.role === 'serve' ? undefined : new SharedCycle({
      config: () => this.#config, store, leases: this.#leases,
      tags: (item) => this.#itemTags()(item),
      logger: this.#log, userAgent: () => this.#config.fetch.userAgent ?? USER_AGENT, now: this.#now, signal: this.#abort.signal,
      ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}), ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#site = new SharedSite({
      instanceId: this.instanceId, role: this.role, config: () => this.#config, configStatus: () => this.configStatus,
      states: () => this.#states, counts: () => this.#counts, hubs: () => this.#hubs(), tagging: this.#tagging,
      follower: () => this.#follower, views: new SharedViews(store.pool), metrics: this.metrics, websub: () => this.websub,
      db: this.#db, renderer: () => this.#lock.held, holding: () => this.#cycle?.holding ?? [], steals: () => this.#steals,
      lastCycle: () => this.#lastCycle, schemaVersion: store.migration.to,
    });
  }

  /** the hubs every feed names, as at start, as on the embedded store: websub.hub, and the built-in hub when it runs */
  #hubs(): string[] {
    return this.websub?.hubs() ?? [];
  }

  /** the tags an item is written with (kept in its row for the tag feeds' queries), for the config in force */
  #itemTags(): (item: Item) => readonly string[] {
    if (this.#tags?.config !== this.#config) this.#tags = { config: this.#config, tags: siteContext(this.#config, {}, [], this.#tagging).tags };
    return this.#tags.tags;
  }

  /** Connects (migrating the schema), loads the published documents (roles all and serve) and the sources' states. */
  static async open(options: SharedAppOptions): Promise<SharedApp> {
    const store = await PgStore.open({ url: options.databaseUrl, pool: options.config.store.pool });
    const app = new SharedApp(options, store);
    try {
      // The instance that renders a change pings websub.hub for its topics, once for all instances; the built-in hub
      // runs on every instance (shared-websub.ts).
      app.websub = await openSharedWebSub({
        ...options, userAgent: options.config.fetch.userAgent ?? USER_AGENT, pool: store.pool, instanceId: app.instanceId, metrics: app.metrics,
        isTopic: (url) => app.#isTopic(options.config.baseUrl, url), warn: (message, err) => app.#failed(message, err),
      });
      if (options.role !== 'fetch') {
        app.#follower = await RenderedFollower.open({
          url: options.databaseUrl, ...(options.followEveryMs ? { checkEveryMs: options.followEveryMs } : {}),
          warn: (message, err) => app.#failed(message, err),
        });
      }
      await app.#readStatus();
    } catch (err) {
      await app.websub?.close(0);
      await store.close();
      throw err;
    }
    return app;
  }

  get config(): Config {
    return this.#config;
  }

  /** A topic of the built-in hub: the URL of a published feed (Atom, RSS or JSON), as the feed gives it. */
  #isTopic(baseUrl: string, url: string): boolean {
    const name = topicName(baseUrl, url);
    return name !== undefined && this.#follower?.get(name) !== undefined;
  }

  /** Starts the loops: fetch passes (roles all and fetch), renders under the lock, the status reads. */
  start(): void {
    const every = (ms: number, run: () => Promise<void>) => {
      const loop = () => {
        if (this.#stopping) return;
        run().finally(() => {
          if (!this.#stopping) this.#timers.push(setTimeout(loop, ms).unref());
        });
      };
      loop();
    };
    if (this.#cycle) every(this.#o.passEveryMs ?? 10_000, () => (this.#passing = this.#pass()));
    every(this.#o.renderEveryMs ?? 5_000, () => this.render());
    every(this.#o.statusEveryMs ?? 10_000, () => this.#readStatus().catch((err) => this.#failed('could not read the sources\' states', err)));
    this.websub.start();
  }

  /** Switches to a validated config: the next pass fetches by it and the next render renders by it. */
  async useConfig(next: Config): Promise<void> {
    this.#config = next;
    await this.render();
  }

  /**
   * Renders what changed if this instance holds (or can take) the render lock; calls meanwhile share one more
   * render after the current one.
   */
  render(): Promise<void> {
    return this.#renders.run();
  }

  async #renderOnce(): Promise<void> {
    if (this.#stopping) return;
    try {
      const wasRenderer = this.#lock.held;
      if (!(await this.#lock.tryAcquire())) return;
      // Taken (again): another instance may have published since this one last rendered.
      if (!wasRenderer) this.#renderer.restart();
      const started = performance.now();
      const result = await this.#renderer.render();
      this.#ok();
      if (result.retagged) {
        this.#log.info({ ...result.retagged, instance: this.instanceId },
          `tags: ${result.retagged.retagged} of ${result.retagged.checked} stored items re-tagged for the sources' tags and rules in force`);
      }
      if (result.changed.length > 0) this.metrics.observeRender(performance.now() - started, result.changed.length);
      // This instance serves what it published at once, not at the notification's return.
      if (result.revision !== undefined) await this.#follower?.refresh();
      // Published: the hub hears of the changed topics from the one instance that rendered them.
      if (result.published) await this.websub.published(topicUrls(this.#config.baseUrl, result.published));
    } catch (err) {
      this.#failed('render failed; the published feeds stay served, and the next render tries again', err);
    }
  }

  /**
   * One pass for `tributary fetch --once` (role fetch): the enabled sources, or `only`, are made due now, except
   * those backing off (unless forced or named), and fetched under leases as a running instance fetches them (a
   * source another instance is fetching now is left to it); then a render, if no other instance holds the render
   * lock (else the renderer publishes the change at its next look, within seconds).
   */
  async fetchOnce(options: { force: boolean; only?: readonly string[] }): Promise<SharedOnceReport> {
    if (!this.#cycle) throw new Error('fetchOnce needs a fetching role');
    const enabled = this.#config.sources.filter((s) => s.enabled).map((s) => s.id);
    const wanted = options.only ?? enabled;
    const states = await this.store.sourceStates();
    const now = this.#now().getTime();
    const forced = options.force || options.only !== undefined;
    const backingOff = forced ? [] : wanted.flatMap((sourceId) => {
      const next = states[sourceId]?.nextFetch;
      return next !== undefined && Date.parse(next) > now ? [{ sourceId, nextFetch: next }] : [];
    });
    const ids = wanted.filter((id) => !backingOff.some((s) => s.sourceId === id));
    await this.#leases.sync(enabled);
    await this.#leases.makeDue(ids);
    const report = await this.#cycle.run(ids);
    const fetched = new Set([...report.sources.map((s) => s.outcome.sourceId), ...report.skipped.map((s) => s.sourceId)]);
    await this.render();
    return { ...report, backingOff, heldElsewhere: ids.filter((id) => !fetched.has(id)), rendered: this.#lock.held, stored: await this.store.count() };
  }

  async #pass(): Promise<void> {
    const started = performance.now();
    let report: SharedCycleReport;
    try {
      report = await this.#cycle!.run();
      this.#ok();
    } catch (err) {
      this.#failed('fetch pass failed; fetching resumes once the database answers', err);
      return;
    }
    if (report.sources.length === 0) return;
    this.#lastCycle = this.#now().toISOString();
    const failed = report.sources.filter((s) => s.outcome.error);
    for (const source of report.sources) {
      this.metrics.observeFetch(source.outcome);
      if (source.stolenFrom) {
        this.#steals++;
        this.#stealCounter.inc();
      }
    }
    const failures = failed.slice(0, 3).map((s) => `${s.outcome.sourceId}: ${s.outcome.error!.message}`).join(', ');
    this.#log.info({ sources: report.sources.length, failed: failed.length, added: report.added, updated: report.updated, joined: report.joined, instance: this.instanceId },
      `cycle: ${report.sources.length} sources, ${report.sources.length - failed.length} ok, ${failed.length} failed${failed.length ? ` (${failures}${failed.length > 3 ? ', …' : ''})` : ''}, ` +
      `${report.added} new, ${report.updated} updated, ${report.joined} joined, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    await this.#readStatus().catch((err) => this.#failed('could not read the sources\' states', err));
    await this.render();
  }

  async #readStatus(): Promise<void> {
    const [states, counts] = await Promise.all([this.store.sourceStates(), this.store.countsBySource()]);
    this.#states = states;
    this.#counts = counts;
    this.#ok();
  }

  #ok(): void {
    if (!this.#db.ok) this.#log.info('the database answers again');
    this.#db.ok = true;
  }

  #failed(message: string, err: unknown): void {
    this.#db.ok = false;
    this.#db.errors++;
    this.#db.lastError = err instanceof Error ? err.message : String(err);
    this.#db.lastErrorAt = this.#now().toISOString();
    this.#dbErrors.inc();
    this.#log.warn({ err }, `${message}: ${this.#db.lastError}`);
  }

  site(): ServedSite {
    return this.#site.site();
  }

  /**
   * Stops the loops; fetches in flight get `graceMs` to finish (their sources are written, their leases handed
   * back), then are aborted (their leases run out and another instance fetches them again). Then closes every
   * connection; the render lock is released with its connection.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.#stopping = true;
    for (const timer of this.#timers.splice(0)) clearTimeout(timer);
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.#passing.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!finished) {
      this.#abort.abort();
      await this.#passing;
    }
    await this.#renders.running;
    await Promise.all([this.#cycle?.close(), this.#follower?.close(), this.#lock.release(), this.websub.close(graceMs)]);
    await this.store.close();
  }
}
