// The full-text step of the embedded store's fetch cycle (fetch-cycle.ts): the item pages of the sources with fullText
// that the cycle fetched, each page in its host's queue, rate and Retry-After pauses like a source, read through
// full-text-pass.ts against the in-memory store. The pass and the page fetcher (DOM libraries behind them) are
// imported only when a source uses full text.
import type { SourceConfig } from '../config/types.ts';
import type { HostPauses } from '../fetch/host-pauses.ts';
import { hostOf, type HostQueue } from '../fetch/host-queue.ts';
import type { HostRate } from '../fetch/host-rate.ts';
import type { IngestContext } from '../ingest.ts';
import type { Logger } from '../log.ts';
import type { ItemStore } from '../store/store.ts';
import type { ReadPool } from '../workers/read-pool.ts';
import { FullTextError } from './errors.ts';
import type { FullTextReport } from './full-text-pass.ts';

export interface CyclePagesOptions {
  store: ItemStore;
  now: () => Date;
  logger: Logger;
  signal: AbortSignal;
  /** shutdown asked: pages not yet started are left for a later cycle */
  isStopping: () => boolean;
  /** the cycle's fetch settings, proxies and guards */
  ingest: IngestContext;
  queue: HostQueue;
  pauses: HostPauses;
  rate: HostRate;
  /** extraction runs there (per-document time and memory limits) when given, else on this thread */
  readers: ReadPool | undefined;
  /** a page's 429/503 with Retry-After pauses its host for feeds and pages alike */
  pauseHostFor: (error: unknown, sourceId: string) => void;
}

/** Reads the pages of `sources` (all with fullText, all fetched this cycle) and stores what they give. */
export async function readCyclePages(sources: SourceConfig[], o: CyclePagesOptions): Promise<FullTextReport[]> {
  const [{ fetchPage }, { readFullText }] = await Promise.all([import('./fetch-page.ts'), import('./full-text-pass.ts')]);
  const { store, now, signal, readers, ingest } = o;
  return readFullText(sources, {
    store: {
      itemsOf: async (sourceId) => store.itemsOf(sourceId),
      update: async (_sourceId, changes) => store.apply([], changes.flatMap(({ id, change }) => {
        const current = store.byId(id);
        return current ? [change(current)] : [];
      })),
      sourceState: async (id) => store.sourceState(id),
      setSourceState: async (state) => store.setSourceState(state),
    },
    now, logger: o.logger,
    // Readability over linkedom takes 10–40 ms of CPU a page: on the read workers, under their per-document limits.
    ...(readers ? { extract: (text, pageUrl, settings, sourceId) => readers.extract(text, pageUrl, settings, sourceId) } : {}),
    fetchPage: (url, source) => {
      const host = hostOf(url);
      return o.queue.run(host, async () => {
        if (o.isStopping() || o.pauses.pausedUntil(host, now())) return undefined;
        await o.rate.acquire(host, signal);
        if (o.isStopping()) return undefined;
        const proxy = ingest.proxyFor?.(source);
        try {
          return await fetchPage(url, source, { ...ingest.fetch, ...(proxy ? { dispatcher: proxy, isProxied: true } : {}), now });
        } catch (err) {
          // Cut short by shutdown: not the page's failure, so it stays due.
          if (signal.aborted) return undefined;
          if (err instanceof FullTextError) o.pauseHostFor(err.cause, source.id);
          throw err;
        }
      });
    },
  });
}
