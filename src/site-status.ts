// What /healthz and /status answer for a service on the embedded store: built from the config, the store and the
// last cycle when asked (a monitor polls them; nothing here is kept between requests).
import type { Config } from './config/types.ts';
import type { WebSub } from './serve/websub/websub.ts';
import { sourceStatuses } from './site-render.ts';
import { pendingRetention, RETENTION_GRACE_MS } from './store/retention-changes.ts';
import type { ItemStore } from './store/store.ts';

/** /status "config": which files the running config came from, and the last rejected change. */
export interface ConfigStatus {
  files: string[];
  loadedAt: string;
  error?: string;
  errorAt?: string;
}

export interface SiteState {
  config: Config;
  configStatus: ConfigStatus;
  store: ItemStore;
  websub: WebSub;
  lastCycle: string | undefined;
  storeError: { message: string; at: string } | undefined;
}

/**
 * /healthz. Failing: a source whose last attempt failed. Every source failing is worth a monitor's attention
 * (nothing new can arrive) but not a restart: the stored feeds are still served, so the answer stays 200.
 */
export function siteHealth({ config, store, lastCycle }: Pick<SiteState, 'config' | 'store' | 'lastCycle'>): object {
  const enabled = config.sources.filter((s) => s.enabled);
  const failing = enabled.filter((s) => store.sourceState(s.id).consecutiveFailures > 0).length;
  return {
    status: enabled.length > 0 && failing === enabled.length ? 'degraded' : 'ok',
    sources: enabled.length,
    failing,
    items: store.size,
    lastFetch: lastCycle ?? null,
  };
}

export function siteStatus({ config, configStatus, store, websub, lastCycle, storeError }: SiteState): object {
  const withPages = new Set(config.sources.filter((s) => s.fullText).map((s) => s.id));
  return {
    lastCycle: lastCycle ?? null,
    config: configStatus,
    store: { loading: false, ...store.status(), ...(storeError ? { error: storeError.message, errorAt: storeError.at } : {}) },
    sources: sourceStatuses(config, store).map((status) => {
      const { etag, lastModified, feedTitle, feedLink, dedupeKey, charsetGuess, fullText } = store.sourceState(status.id);
      return {
        ...status, etag: etag ?? null, lastModified: lastModified ?? null, feedTitle: feedTitle ?? null, feedLink: feedLink ?? null,
        dedupeKey: dedupeKey ?? 'guid', charsetGuess: charsetGuess ?? null,
        // Only for sources with fullText: item pages read (ok), failed, still to read (pending), the last failure.
        ...(withPages.has(status.id) ? { fullText: fullText ?? { ok: 0, failed: 0, pending: 0 } } : {}),
      };
    }),
    retention: retentionStatus(config, store),
    websub: websub.status(),
  };
}

/** /status "retention": stricter rules a config edit asked for, each waiting until `due` (prune --now: at once). */
function retentionStatus(config: Config, store: ItemStore): { graceHours: number; pending: object[] } {
  const configured = new Set(config.sources.map((s) => s.id));
  return {
    graceHours: RETENTION_GRACE_MS / 3600_000,
    pending: pendingRetention(store.sourceStates()).map((c) => ({
      source: c.sourceId, configured: configured.has(c.sourceId), inForce: c.from, pending: c.to, since: c.since, due: c.due,
    })),
  };
}
