/** The body is not a feed we can read; the message says what it looked like instead. */
export class FeedParseError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'FeedParseError';
  }
}

/** The body is something else than a feed altogether: a web page, JSON of another kind, plain text. */
export class NotAFeedError extends FeedParseError {
  readonly looksLike: 'html' | 'json' | 'text';
  constructor(looksLike: NotAFeedError['looksLike'], message: string) {
    super(message);
    this.name = 'NotAFeedError';
    this.looksLike = looksLike;
  }
}

/** A source's body could not be read as a feed; names the source, and the feed a web page points to if any. */
export class SourceParseError extends Error {
  readonly sourceId: string;
  readonly url: string;
  /** feeds the page announces with <link rel="alternate">, when the body was a web page */
  readonly discovered: string[];
  constructor(sourceId: string, url: string, cause: FeedParseError, discovered: string[] = []) {
    const detail = cause instanceof NotAFeedError && cause.looksLike === 'html'
      ? discovered.length > 0
        ? `this is a web page; its feed is at ${discovered[0]} (set that as the source's url)`
        : 'this is a web page, not a feed, and it links no feed (<link rel="alternate">)'
      : cause.message;
    super(`source ${sourceId} (${url}): ${detail}`, { cause });
    this.name = 'SourceParseError';
    this.sourceId = sourceId;
    this.url = url;
    this.discovered = discovered;
  }
}
