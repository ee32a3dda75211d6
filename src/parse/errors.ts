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

/**
 * The document declares an entity Tributary will not expand (external, parameter, or with text that could
 * grow: the XXE, billion-laughs and quadratic-blowup shapes). Nothing was fetched, read or expanded.
 */
export class XmlEntityError extends FeedParseError {
  readonly entity: string;
  readonly reason: 'external' | 'parameter' | 'text';
  constructor(entity: string, reason: XmlEntityError['reason']) {
    const why = {
      external: 'refers to an external resource (SYSTEM/PUBLIC)',
      parameter: 'is a parameter entity',
      text: 'has a replacement text other than one character reference',
    }[reason];
    super(`DOCTYPE declares entity "${entity}", which ${why}; Tributary never expands such entities, so the feed is rejected`);
    this.name = 'XmlEntityError';
    this.entity = entity;
    this.reason = reason;
  }
}

/**
 * The reader failed on a document it should have read or refused with a reason: a shape of the element tree no
 * branch expected. The operator sees which kind of document it was, not the JavaScript error (kept as cause).
 */
export class UnexpectedShapeError extends FeedParseError {
  constructor(root: string, cause: unknown) {
    super(`unexpected document shape: Tributary's reader cannot map this <${root}> document to a feed; please report it with the document`, { cause });
    this.name = 'UnexpectedShapeError';
  }
}

/** The document passed a structural bound (nesting depth or parse time) that no real feed comes near. */
export class XmlLimitError extends FeedParseError {
  readonly limit: 'depth' | 'time';
  readonly max: number;
  constructor(limit: XmlLimitError['limit'], max: number, where: string) {
    const what = limit === 'depth' ? `nests elements deeper than ${max} levels` : `took more than ${max} ms to read`;
    super(`the XML ${what} (${where}); rejected as hostile or broken`);
    this.name = 'XmlLimitError';
    this.limit = limit;
    this.max = max;
  }
}

/** A source's body could not be read as a feed; names the source, and the feed a web page points to if any. */
export class SourceParseError extends Error {
  readonly sourceId: string;
  readonly url: string;
  /** feeds the page announces with <link rel="alternate">, when the body was a web page */
  readonly discovered: string[];
  constructor(sourceId: string, url: string, cause: Error, discovered: string[] = []) {
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
