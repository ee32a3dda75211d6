/** The body is not a feed we can read; the message says what it looked like instead. */
export class FeedParseError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'FeedParseError';
  }
}
