// `tributary serve`: checks the port, loads the config, then hands over to the service lifecycle.
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import type { CommonOptions } from './common-options.ts';
import { runService } from './lifecycle.ts';
import { reportStartError } from './start-error.ts';
import { usageError } from './usage.ts';

export async function serve(common: CommonOptions, portText: string, host: string, shutdownGraceMs: number): Promise<number> {
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usageError(`invalid port "${portText}"`);
  try {
    const config = await loadConfig(common.config);
    return await runService({ configPath: common.config, dataDir: common.data, port, host, recover: common.recover, purge: common.purge, shutdownGraceMs, logger: createLogger() }, config);
  } catch (err) {
    return reportStartError(err);
  }
}
