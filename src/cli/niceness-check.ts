// serve and fetch --once start worker threads: a TRIBUTARY_WORKER_NICENESS they cannot use is refused before they
// listen or fetch. Apart from usage.ts, which every command loads (check must not load the workers' modules).
import { defaultNiceness } from '../workers/priority.ts';

/** The workers' nice value from TRIBUTARY_WORKER_NICENESS is usable: undefined, or the one line that says why not. */
export function nicenessProblem(): string | undefined {
  try {
    defaultNiceness();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
