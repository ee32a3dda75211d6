import { ConfigError } from '../config/errors.ts';
import { StoreCorruptError, StoreLockedError, StoreReadError } from '../store/errors.ts';

/** Problems an operator fixes (config, store file) print as plain lines and exit 1; anything else is a bug. */
export function reportStartError(err: unknown): number {
  if (err instanceof ConfigError || err instanceof StoreCorruptError || err instanceof StoreReadError || err instanceof StoreLockedError) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  throw err;
}
