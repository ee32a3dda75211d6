// Retry-After (RFC 9110 §10.2.3) is either delay-seconds or an HTTP-date.

/** Longest wait we accept from a server; a bogus far-future date must not silence a source for ever. */
export const MAX_RETRY_AFTER_MS = 7 * 24 * 3600 * 1000;

/** The time before which the server asks not to be asked again, or undefined when the header is absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): Date | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  let at: number;
  if (/^\d+$/.test(text)) at = now.getTime() + Number(text) * 1000;
  else {
    // Only the HTTP-date forms; Date.parse alone would also accept "5" or "tomorrow"-like junk.
    if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
    at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
  }
  return new Date(Math.min(Math.max(at, now.getTime()), now.getTime() + MAX_RETRY_AFTER_MS));
}
