// `tributary serve`: checks the port, loads the config, then hands over to the service lifecycle.
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import type { CommonOptions } from './common-options.ts';
import { runService } from './lifecycle.ts';
import { reportStartError } from './start-error.ts';
import { nicenessProblem } from '../workers/priority.ts';
import { usageError } from './usage.ts';

export interface StoreChoice {
  /** --database */
  database?: string | undefined;
  /** --role */
  role?: string | undefined;
}

const ROLES = ['all', 'fetch', 'serve'] as const;

export async function serve(common: CommonOptions, portText: string, host: string, shutdownGraceMs: number, choice: StoreChoice = {}): Promise<number> {
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usageError(`invalid port "${portText}"`);
  const role = choice.role ?? process.env.TRIBUTARY_ROLE ?? 'all';
  if (!(ROLES as readonly string[]).includes(role)) return usageError(`invalid --role "${role}" (all, fetch or serve)`);
  const niceness = nicenessProblem();
  if (niceness) return usageError(niceness);
  const given = choice.database ?? (process.env.TRIBUTARY_DATABASE_URL || undefined);
  if (given !== undefined && !/^postgres(ql)?:\/\//i.test(given)) return usageError(`--database and TRIBUTARY_DATABASE_URL take a postgres:// URL, not "${given.replace(/\/\/[^@/]*@/, '//***@')}"`);
  try {
    const config = await loadConfig(common.config);
    // --database, then TRIBUTARY_DATABASE_URL, then the config's store.url: any of them selects the PostgreSQL store.
    const database = given ?? (config.store.kind === 'postgres' ? config.store.url : undefined);
    if (config.store.kind === 'postgres' && !database) {
      process.stderr.write(`${common.config}: store.kind is postgres but no database is named: set store.url, TRIBUTARY_DATABASE_URL or --database\n`);
      return 1;
    }
    if (database) {
      const { runSharedService } = await import('./shared-serve.ts');
      return await runSharedService({ configPath: common.config, databaseUrl: database, role: role as (typeof ROLES)[number], port, host, shutdownGraceMs, logger: createLogger() }, config);
    }
    if (role !== 'all') return usageError(`--role ${role} needs the PostgreSQL store (store.kind: postgres, TRIBUTARY_DATABASE_URL or --database): the embedded store has one process`);
    return await runService({ configPath: common.config, dataDir: common.data, port, host, recover: common.recover, purge: common.purge, shutdownGraceMs, logger: createLogger() }, config);
  } catch (err) {
    return reportStartError(err);
  }
}
