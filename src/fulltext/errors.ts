/**
 * An item's page could not give its full text: not fetched (the fetch error is the cause), not a web page, or no
 * article in it. `reason` is what /status shows on the source; the item keeps the feed's own content.
 */
export class FullTextError extends Error {
  /** the page asked for (the item's link) */
  readonly url: string;
  readonly reason: string;
  constructor(url: string, reason: string, options: { cause?: unknown } = {}) {
    super(`full text of ${url}: ${reason}`, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'FullTextError';
    this.url = url;
    this.reason = reason;
  }
}
