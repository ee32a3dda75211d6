/** A source could not be fetched; carries what an operator needs to act on it. */
export class SourceFetchError extends Error {
  readonly sourceId: string;
  readonly url: string;
  readonly status: number | undefined;
  constructor(sourceId: string, url: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(`source ${sourceId} (${url}): ${message}`, options.cause === undefined ? {} : { cause: options.cause });
    this.name = 'SourceFetchError';
    this.sourceId = sourceId;
    this.url = url;
    this.status = options.status;
  }
}

/** The server answered with an error status; a 429 or 503 may say when to come back. */
export class SourceHttpError extends SourceFetchError {
  declare readonly status: number;
  /** from Retry-After: no request to this source before then */
  readonly retryAfter: Date | undefined;
  /** the URL whose server sent this status (after redirects): its host is the one Retry-After speaks for */
  readonly answeredBy: string;
  constructor(sourceId: string, url: string, status: number, statusText: string, retryAfter?: Date, answeredBy = url) {
    const wait = retryAfter ? `; the server asks not to retry before ${retryAfter.toISOString()}` : '';
    super(sourceId, url, `HTTP ${status}${statusText ? ` ${statusText}` : ''}${wait}`, { status });
    this.name = 'SourceHttpError';
    this.retryAfter = retryAfter;
    this.answeredBy = answeredBy;
  }
}

/** Too many redirects, a loop, or a Location we will not follow. */
export class SourceRedirectError extends SourceFetchError {
  /** every URL visited, in order */
  readonly chain: string[];
  constructor(sourceId: string, url: string, message: string, chain: string[], status?: number) {
    super(sourceId, url, `${message}: ${chain.join(' -> ')}`, status === undefined ? {} : { status });
    this.name = 'SourceRedirectError';
    this.chain = chain;
  }
}

/** The (decompressed) body passed fetch.maxBytes. */
export class SourceTooLargeError extends SourceFetchError {
  readonly maxBytes: number;
  constructor(sourceId: string, url: string, message: string, maxBytes: number, status: number) {
    super(sourceId, url, `${message}; raise fetch.maxBytes if this source is legitimately that large`, { status });
    this.name = 'SourceTooLargeError';
    this.maxBytes = maxBytes;
  }
}

/** No connection in fetch.connectTimeoutSeconds, or no complete answer in fetch.timeoutSeconds. */
export class SourceTimeoutError extends SourceFetchError {
  readonly phase: 'connect' | 'total';
  constructor(sourceId: string, url: string, phase: 'connect' | 'total', ms: number, options: { status?: number; cause?: unknown } = {}) {
    super(sourceId, url, phase === 'connect' ? `could not connect within ${ms} ms` : `no complete response within ${ms} ms`, options);
    this.name = 'SourceTimeoutError';
    this.phase = phase;
  }
}
