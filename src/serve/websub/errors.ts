/** A WebSub peer (the configured hub, or a subscriber's callback) did not answer as the protocol asks. */
export class WebSubRequestError extends Error {
  readonly url: string;
  readonly status: number | undefined;
  constructor(url: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(`WebSub request to ${url}: ${message}`, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'WebSubRequestError';
    this.url = url;
    this.status = options.status;
  }
}
