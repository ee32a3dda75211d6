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
