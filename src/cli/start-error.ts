import { ConfigError } from '../config/errors.ts';
import { StoreCorruptError, StoreLockedError, StoreReadError } from '../store/errors.ts';

/** The port cannot be listened on: taken by another program, or privileged. */
export class ListenError extends Error {
  constructor(host: string, port: number, code: string | undefined) {
    const why = code === 'EADDRINUSE'
      ? `port ${port} on ${host} is already in use (another Tributary, or another program): stop it, or choose another port`
      : `cannot listen on port ${port} of ${host} (${code === 'EACCES' ? 'permission denied: ports below 1024 need privileges' : code ?? 'unknown error'})`;
    super(`${why} with --port N or PORT=N`);
    this.name = 'ListenError';
  }
}

/** The PostgreSQL store cannot be used: the database does not answer, refuses the login, or is of a newer release. */
export class DatabaseStartError extends Error {
  constructor(maskedUrl: string, cause: Error) {
    super(`cannot use the PostgreSQL store at ${maskedUrl}: ${cause.message}`);
    this.name = 'DatabaseStartError';
  }
}

/** Problems an operator fixes (config, store file, port) print as plain lines and exit 1; anything else is a bug. */
export function reportStartError(err: unknown): number {
  if (err instanceof ListenError || err instanceof DatabaseStartError || err instanceof ConfigError || err instanceof StoreCorruptError || err instanceof StoreReadError || err instanceof StoreLockedError) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  throw err;
}
