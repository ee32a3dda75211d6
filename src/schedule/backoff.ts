// When a failing source may be tried again. Pure: the clock and the random source are passed in.

export const BACKOFF_BASE_MS = 60_000;
export const BACKOFF_MAX_MS = 24 * 3600 * 1000;
/** Up to this fraction is added at random, so sources that failed together (one host down) do not retry together. */
export const BACKOFF_JITTER = 0.25;

/**
 * Exponential backoff: 1, 2, 4 … minutes after the 1st, 2nd, 3rd … consecutive failure, never more than 24 h,
 * plus jitter. A Retry-After from the server pushes the time further out, never nearer.
 */
export function nextAttemptAfterFailure(failures: number, now: Date, retryAfter?: Date, random: () => number = Math.random): Date {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  const base = Math.min(BACKOFF_BASE_MS * 2 ** exponent, BACKOFF_MAX_MS);
  const delay = Math.min(base * (1 + BACKOFF_JITTER * random()), BACKOFF_MAX_MS);
  const backoff = now.getTime() + Math.round(delay);
  return new Date(Math.max(backoff, retryAfter?.getTime() ?? 0));
}

/** A source whose next attempt lies in the future is skipped by the scheduler. */
export function isDue(nextFetch: string | undefined, now: Date): boolean {
  return nextFetch === undefined || Date.parse(nextFetch) <= now.getTime();
}
