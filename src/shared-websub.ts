// The built-in WebSub hub on the PostgreSQL store, for every instance alike: the subscriptions in a table each
// instance mirrors (store/pg/websub-subscriptions.ts), the content owed queued by each publication and sent under a
// lease (store/pg/websub-deliveries.ts, serve/websub/leased-deliveries.ts). A subscription request is verified by
// the instance that received it; the content of a change goes out from the renderer that published it, or from
// whichever instance finds it due (a retry, a killed instance's lease run out).
import type pg from 'pg';
import type { Config } from './config/types.ts';
import type { FetchFunction } from './fetch/fetch-source.ts';
import type { Logger } from './log.ts';
import { LeasedDeliveries } from './serve/websub/leased-deliveries.ts';
import { topicName } from './serve/websub/topics.ts';
import { openWebSub, type HubParts, type HubStorage, type WebSub, type WebSubHost } from './serve/websub/websub.ts';
import { PgDeliveryLeases } from './store/pg/websub-deliveries.ts';
import { PgSubscriptions } from './store/pg/websub-subscriptions.ts';

export interface SharedWebSubOptions {
  config: Config;
  databaseUrl: string;
  logger: Logger;
  userAgent: string;
  now?: () => Date;
  fetch?: FetchFunction;
  pool: pg.Pool;
  instanceId: string;
  metrics: WebSubHost['metrics'];
  /** whether a topic URL names a feed this instance serves */
  isTopic: (url: string) => boolean;
  warn: (message: string, err?: unknown) => void;
  websubRetryDelaysMs?: readonly number[];
  websubLeaseMs?: number;
  websubEveryMs?: number;
}

/** WebSub of an instance: the pings to websub.hub after its publications, and the built-in hub when configured. */
export function openSharedWebSub(o: SharedWebSubOptions): Promise<WebSub> {
  const { config } = o;
  return openWebSub({
    config, dataDir: '', logger: o.logger, userAgent: o.userAgent, isTopic: o.isTopic,
    ...(o.now ? { now: o.now } : {}), ...(o.fetch ? { fetch: o.fetch } : {}), ...(o.websubRetryDelaysMs ? { websubRetryDelaysMs: o.websubRetryDelaysMs } : {}),
    hubStorage: sharedHubStorage({
      pool: o.pool, databaseUrl: o.databaseUrl, instanceId: o.instanceId, baseUrl: config.baseUrl, warn: o.warn,
      ...(o.websubLeaseMs ? { leaseMs: o.websubLeaseMs } : {}), ...(o.websubEveryMs ? { everyMs: o.websubEveryMs } : {}),
    }),
  }, () => ({ feeds: { specs: () => [], get: () => undefined }, metrics: o.metrics }));
}

export interface SharedHubOptions {
  pool: pg.Pool;
  databaseUrl: string;
  instanceId: string;
  baseUrl: string;
  warn: (message: string, err?: unknown) => void;
  /** a lease on a delivery (ms; default websub.timeoutSeconds and 15 s) */
  leaseMs?: number;
  /** the wait between two looks for deliveries due (ms; default 5 s) */
  everyMs?: number;
}

/** The hub's storage for WebSub.open: opened with the hub, closed with it (handing back what it holds). */
export function sharedHubStorage(o: SharedHubOptions): (parts: HubParts) => Promise<HubStorage> {
  return async (parts) => {
    const store = await PgSubscriptions.open({
      pool: o.pool, url: o.databaseUrl, now: parts.now, warn: o.warn, nameOf: (topic) => topicName(o.baseUrl, topic),
    });
    const deliveries = new LeasedDeliveries({
      ...parts, leases: new PgDeliveryLeases(o.pool, o.instanceId),
      ...(o.leaseMs ? { leaseMs: o.leaseMs } : {}), ...(o.everyMs ? { everyMs: o.everyMs } : {}),
    });
    return {
      store, deliveries,
      start: () => deliveries.start(),
      close: async () => {
        await deliveries.close();
        await store.close();
      },
    };
  };
}
