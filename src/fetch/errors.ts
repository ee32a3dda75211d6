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
