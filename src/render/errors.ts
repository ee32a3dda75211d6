/** feed@6 wrote something other than what the post-processing of its output expects (e.g. after an upgrade). */
export class FeedRenderError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`rendering feed ${path}: ${message}`);
    this.name = 'FeedRenderError';
    this.path = path;
  }
}

/** A query parameter a reader sent is unusable; the message says which and what is accepted (HTTP 400). */
export class FeedQueryError extends Error {
  readonly param: string;
  constructor(param: string, message: string) {
    super(`${param}: ${message}`);
    this.name = 'FeedQueryError';
    this.param = param;
  }
}

/** A page past the last one of a feed (HTTP 404). */
export class FeedPageNotFoundError extends Error {
  readonly page: number;
  readonly pages: number;
  constructor(path: string, page: number, pages: number) {
    super(`feed ${path} has ${pages} page${pages === 1 ? '' : 's'}; there is no page ${page}`);
    this.name = 'FeedPageNotFoundError';
    this.page = page;
    this.pages = pages;
  }
}

/** A filtering pass did not finish in time because the server is busy with others (HTTP 503, try again). */
export class FilterBusyError extends Error {
  readonly param: string;
  /** what Retry-After says */
  readonly retryAfterSeconds = 5;
  constructor(param: string, deadlineMs: number) {
    super(`${param}: the server is busy filtering for other readers and could not finish within ${deadlineMs / 1000} s; try again shortly`);
    this.name = 'FilterBusyError';
    this.param = param;
  }
}
