// `tributary check`: validates the config and says how many sources it holds.
import { loadConfig } from '../config/load.ts';
import type { CommonOptions } from './common-options.ts';
import { reportStartError } from './start-error.ts';

export async function check(common: CommonOptions): Promise<number> {
  try {
    const config = await loadConfig(common.config);
    const files = config.files.length > 1 ? ` from ${config.files.length} files` : '';
    process.stdout.write(`${common.config}: ok, ${config.sources.length} sources (${config.sources.filter((s) => s.enabled).length} enabled)${files}\n`);
    return 0;
  } catch (err) {
    return reportStartError(err);
  }
}
