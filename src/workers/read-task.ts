// What crosses between the serving thread and a read worker: plain data only (structured clone), so the messages
// are spelled out here, with the one step that is not plain data by itself: an error, whose class does not cross.
import type { PageSelectors } from '../config/selector.ts';
import { FullTextError } from '../fulltext/errors.ts';
import type { ExtractRule, Extraction } from '../fulltext/extract.ts';
import type { DocumentContext } from '../ingest.ts';
import type { Item } from '../model.ts';
import { NotAFeedError, SourceParseError } from '../parse/errors.ts';
import type { ParsedFeed } from '../parse/types.ts';

/** A document read: the feed's own fields (its raw items stay in the worker) and the normalized items. */
export interface DocumentRead {
  feed: ParsedFeed;
  items: Item[];
}

/**
 * main -> worker: one document to read. `now` is a Date, which structured clone carries as a Date; the tracking
 * parameter matcher is a function, which does not cross: its names do (config dedupe.trackingParams), and the
 * worker builds the same matcher from them.
 */
export interface ReadRequest {
  type: 'read';
  text: string;
  ctx: Omit<DocumentContext, 'trackingParams'>;
  /** absent: the default list */
  trackingParams?: readonly string[];
  /** a `type: html` source's selectors; absent for a feed */
  select?: PageSelectors;
}

/**
 * main -> worker: the article of one item page (a source with fullText), taken as fulltext/extract.ts takes it.
 * The page is already fetched and decoded on the serving thread; only its text, its address and the rule cross.
 */
export interface ExtractRequest {
  type: 'extract';
  /** the source whose item links to the page: named when the page passes a limit */
  sourceId: string;
  text: string;
  pageUrl: string;
  rule: ExtractRule;
}

export type WorkerRequest = ReadRequest | ExtractRequest;

/** Items go in slices: the serving thread decodes each message in its own turn, never 12,000 items at once. */
export const ITEMS_PER_MESSAGE = 500;

/** worker -> main */
export type ReadReply =
  | { type: 'ready'; /** the worker's thread id (Linux), whose CPU time the pool's time limit counts */ tid?: number }
  | { type: 'items'; items: Item[] }
  | { type: 'done'; feed: ParsedFeed }
  | { type: 'extracted'; extraction: Extraction }
  | { type: 'failed'; error: CrossedError };

/** An error as it crosses: enough to build the same class with the same message on the other side. */
export interface CrossedError {
  name: string;
  message: string;
  stack?: string;
  /** set for a SourceParseError: its parts, so the main thread builds the same error */
  source?: { sourceId: string; url: string; discovered: string[]; cause: { name: string; message: string; looksLike?: NotAFeedError['looksLike'] } };
  /** set for a FullTextError: the page and why it has no article, which /status shows on the source */
  page?: { url: string; reason: string };
}

export function crossError(err: unknown): CrossedError {
  const error = err instanceof Error ? err : new Error(String(err));
  const crossed: CrossedError = { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  if (error instanceof SourceParseError) {
    const cause = error.cause as Error;
    crossed.source = {
      sourceId: error.sourceId, url: error.url, discovered: error.discovered,
      cause: { name: cause.name, message: cause.message, ...(cause instanceof NotAFeedError ? { looksLike: cause.looksLike } : {}) },
    };
  }
  if (error instanceof FullTextError) crossed.page = { url: error.url, reason: error.reason };
  return crossed;
}

/** The error the worker threw, as the in-thread reader would have thrown it (same class for a parse error, same message). */
export function uncrossError(crossed: CrossedError): Error {
  if (crossed.source) {
    const { sourceId, url, discovered, cause } = crossed.source;
    const inner = cause.looksLike ? new NotAFeedError(cause.looksLike, cause.message) : Object.assign(new Error(cause.message), { name: cause.name });
    return new SourceParseError(sourceId, url, inner, discovered);
  }
  if (crossed.page) return new FullTextError(crossed.page.url, crossed.page.reason);
  const error = new Error(crossed.message);
  error.name = crossed.name;
  if (crossed.stack) error.stack = crossed.stack;
  return error;
}
