// `tributary serve` on the PostgreSQL store (store.kind: postgres, TRIBUTARY_DATABASE_URL or --database): one of
// several instances sharing a database (shared-app.ts). Connects and migrates the schema, loads the published
// documents, listens, runs its role's loops, follows config edits, and stops cleanly on SIGTERM/SIGINT.
import type { Config } from '../config/types.ts';
import { watchConfig } from '../config/watch.ts';
import type { Logger } from '../log.ts';
import { createFeedServer } from '../serve/server.ts';
import type { InstanceRole, SharedApp } from '../shared-app.ts';
import { firstSignal, listen, readReloaded, serialized, warnOfBaseUrlPort } from './lifecycle.ts';
import { DatabaseStartError } from './start-error.ts';
import { maskedUrl } from './migrate-store.ts';

export interface SharedServeOptions {
  configPath: string;
  databaseUrl: string;
  role: InstanceRole;
  port: number;
  host: string;
  shutdownGraceMs: number;
  logger: Logger;
}

export async function runSharedService(options: SharedServeOptions, config: Config): Promise<number> {
  const { logger } = options;
  const stopRequested = firstSignal();
  const { SharedApp } = await import('../shared-app.ts');
  let app: SharedApp;
  try {
    app = await SharedApp.open({ config, databaseUrl: options.databaseUrl, role: options.role, logger });
  } catch (err) {
    throw new DatabaseStartError(maskedUrl(options.databaseUrl), err as Error);
  }
  const server = createFeedServer(app.site());
  let address;
  try {
    address = await listen(server, options.port, options.host);
  } catch (err) {
    await app.close(0);
    throw err;
  }
  warnOfBaseUrlPort(config.baseUrl, address.port, logger);
  logger.info({ host: address.address, port: address.port, instance: app.instanceId, role: app.role, database: maskedUrl(options.databaseUrl), schema: app.store.migration.to, leaseSeconds: config.store.leaseSeconds },
    `serving on http://${options.host}:${address.port}/ (PostgreSQL store, instance ${app.instanceId}, role ${app.role})`);
  app.start();

  const reload = serialized(() => reloadConfig(app, options.configPath, logger), (err) => logger.error({ err }, 'config reload failed'));
  const watcher = await watchConfig(options.configPath, reload, (err) => logger.error({ err }, `watching ${options.configPath} failed; config edits need a restart`));

  const signal = await stopRequested;
  const hurry = (second: NodeJS.Signals) => {
    logger.warn({ signal: second }, 'second signal: exiting at once');
    process.exit(second === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', hurry);
  process.once('SIGTERM', hurry);
  logger.info({ signal, graceMs: options.shutdownGraceMs }, 'shutting down');
  watcher.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await app.close(options.shutdownGraceMs);
  logger.info({ instance: app.instanceId }, 'stopped');
  return 0;
}

async function reloadConfig(app: SharedApp, path: string, logger: Logger): Promise<void> {
  const next = await readReloaded(app, path, logger, () => app.render());
  if (!next) return;
  await app.useConfig(next);
  logger.info({ files: next.files, sources: next.sources.length }, 'config reloaded');
}
