// Prometheus metrics in a Registry of their own (never prom-client's global one, so two services in one
// process, as in the tests, keep apart). app.ts and fetch-cycle.ts report through the observe* calls; /metrics
// serves text().
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface FetchObservation {
  sourceId: string;
  status: 'ok' | 'not-modified' | 'error';
  /** whole fetch, parse and merge of the source */
  ms: number;
}

export interface ItemCounts {
  total: number;
  bySource: ReadonlyMap<string, number>;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #fetches: Counter<'source' | 'outcome'>;
  readonly #fetchSeconds: Histogram<'source'>;
  /**
   * Feed requests counted in plain maps (feed → status → count) and copied into the counter at each scrape:
   * prom-client's inc() with labels hashes and validates them on every call, which showed in the profile of
   * a 304, the cheapest answer there is.
   */
  readonly #requestCounts = new Map<string, Map<number, number>>();
  readonly #renderSeconds: Histogram;
  readonly #feedsRendered: Counter;
  readonly #writeSeconds: Histogram<'outcome'>;
  readonly #hubPings: Counter<'outcome'>;
  readonly #deliveries: Counter<'outcome'>;

  /** `items` is read at each scrape, so the gauges are never stale. */
  constructor(items: () => ItemCounts) {
    const registers = [this.registry];
    this.#fetches = new Counter({ name: 'tributary_fetches_total', help: 'Source fetches by source and outcome (ok, not-modified, error)', labelNames: ['source', 'outcome'], registers });
    this.#fetchSeconds = new Histogram({ name: 'tributary_fetch_duration_seconds', help: 'Time to fetch, parse and merge one source', labelNames: ['source'], buckets: SECONDS, registers });
    const stored: Gauge = new Gauge({ name: 'tributary_items_stored', help: 'Items in the store', registers, collect: () => stored.set(items().total) });
    const bySource: Gauge<'source'> = new Gauge({
      name: 'tributary_source_items', help: 'Stored items first carried by each source', labelNames: ['source'], registers,
      collect: () => {
        bySource.reset();
        for (const [source, count] of items().bySource) bySource.set({ source }, count);
      },
    });
    const counts = this.#requestCounts;
    const requests: Counter<'feed' | 'status'> = new Counter({
      name: 'tributary_feed_requests_total', help: 'Feed requests by feed (path.format) and HTTP status', labelNames: ['feed', 'status'], registers,
      collect: () => {
        // The totals are monotonic, so setting them afresh at each scrape keeps the counter's semantics.
        requests.reset();
        for (const [feed, byStatus] of counts) for (const [status, n] of byStatus) requests.inc({ feed, status: String(status) }, n);
      },
    });
    this.#renderSeconds = new Histogram({ name: 'tributary_render_duration_seconds', help: 'Time to build the feed set after a change (all feeds, changed ones rendered)', buckets: SECONDS, registers });
    this.#feedsRendered = new Counter({ name: 'tributary_feeds_rendered_total', help: 'Feeds re-rendered because their items changed', registers });
    this.#writeSeconds = new Histogram({ name: 'tributary_store_write_duration_seconds', help: 'Time to write the store file, by outcome', labelNames: ['outcome'], buckets: SECONDS, registers });
    this.#hubPings = new Counter({ name: 'tributary_websub_pings_total', help: 'WebSub publish pings sent to the configured hub, by outcome', labelNames: ['outcome'], registers });
    this.#deliveries = new Counter({ name: 'tributary_websub_deliveries_total', help: 'Content distributions of the built-in hub to subscribers, by outcome', labelNames: ['outcome'], registers });
    collectDefaultMetrics({ register: this.registry });
  }

  observeFetch(fetch: FetchObservation): void {
    this.#fetches.inc({ source: fetch.sourceId, outcome: fetch.status });
    this.#fetchSeconds.observe({ source: fetch.sourceId }, fetch.ms / 1000);
  }

  observeRender(ms: number, feedsRendered: number): void {
    this.#renderSeconds.observe(ms / 1000);
    this.#feedsRendered.inc(feedsRendered);
  }

  observeWrite(ms: number, ok: boolean): void {
    this.#writeSeconds.observe({ outcome: ok ? 'ok' : 'error' }, ms / 1000);
  }

  observeRequest(feed: string, status: number): void {
    let byStatus = this.#requestCounts.get(feed);
    if (!byStatus) this.#requestCounts.set(feed, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  observePing(ok: boolean): void {
    this.#hubPings.inc({ outcome: ok ? 'ok' : 'error' });
  }

  observeDelivery(outcome: 'ok' | 'retry' | 'failed'): void {
    this.#deliveries.inc({ outcome });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
