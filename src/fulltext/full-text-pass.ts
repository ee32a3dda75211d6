// The full-text step of a fetch cycle: after a cycle stored a source's items, the pages of those of its items that
// need one are fetched (through the cycle's host queue, rates and pauses) and their articles replace the items'
// content. At most fullText.maxPerCycle pages per source and cycle, newest items first; the rest wait for later
// cycles. A failure keeps the feed's content and is tried again with backoff (due.ts), a few times, never in a loop.
import type { FullTextSettings, SourceConfig } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { FullTextStatus, Item, SourceState } from '../model.ts';
import { withPageContent } from '../normalize/page-content.ts';
import { failedRecord, fullTextCounts, pagesToRead, settingsKey } from './due.ts';
import { FullTextError } from './errors.ts';
import type { FetchedPage } from './fetch-page.ts';

/**
 * What the step needs of the store, on either store: the embedded one answers at once, PostgreSQL by query.
 * A page is read while the feed's next items may come in (another instance, another source's alsoIn): its result is
 * applied to the item as stored when it is written, not to the copy the step started from.
 */
export interface FullTextStore {
  /** the items stored under a source: at least their id, link, published, hash and fullText */
  itemsOf(sourceId: string): Promise<Iterable<Item>>;
  /** applies each change to its item as stored now; an item gone meanwhile is skipped */
  update(sourceId: string, changes: readonly PageChange[]): Promise<void>;
  sourceState(id: string): Promise<SourceState>;
  setSourceState(state: SourceState): Promise<void>;
}

/** What one page did to its item. */
export interface PageChange {
  id: string;
  change: (current: Item) => Item;
}

export interface FullTextContext {
  store: FullTextStore;
  now: () => Date;
  logger: Logger;
  /**
   * fetches one page for its source, inside the host's queue, rate and pauses; resolves undefined when the page is
   * not to be fetched now (its host asked for a pause, shutdown began): the item stays due
   */
  fetchPage: (url: string, source: SourceConfig) => Promise<FetchedPage | undefined>;
  /**
   * extracts the article: on the service's read workers (workers/read-pool.ts), or by default on this thread
   * (fulltext/extract.ts, imported on the first page); rejects with FullTextError saying why there is none
   */
  extract?: (text: string, pageUrl: string, settings: FullTextSettings, sourceId: string) => Promise<{ html: string; textLength: number }>;
}

export interface FullTextReport {
  sourceId: string;
  read: number;
  failed: number;
  /** pages due but not fetched now (host paused, shutdown) */
  deferred: number;
}

/** Reads the due pages of these sources (each with its fullText settings); never throws for a page. */
export async function readFullText(sources: readonly SourceConfig[], ctx: FullTextContext): Promise<FullTextReport[]> {
  return Promise.all(sources.filter((s) => s.fullText).map((s) => readSource(s, s.fullText!, ctx)));
}

async function readSource(source: SourceConfig, settings: FullTextSettings, ctx: FullTextContext): Promise<FullTextReport> {
  const report: FullTextReport = { sourceId: source.id, read: 0, failed: 0, deferred: 0 };
  const due = pagesToRead(await ctx.store.itemsOf(source.id), settings, ctx.now());
  let lastError: FullTextStatus['lastError'];
  const changes: PageChange[] = [];
  await Promise.all(due.map(async (item) => {
    const outcome = await readPage(item, source, settings, ctx);
    if (outcome === undefined) {
      report.deferred++;
      return;
    }
    changes.push({ id: item.id, change: outcome.change });
    if (outcome.error) {
      report.failed++;
      lastError = { at: ctx.now().toISOString(), url: item.link, reason: outcome.error };
    } else report.read++;
  }));
  if (changes.length > 0) await ctx.store.update(source.id, changes);
  const state = await ctx.store.sourceState(source.id);
  const previous = state.fullText?.lastError;
  const status: FullTextStatus = { ...fullTextCounts(await ctx.store.itemsOf(source.id), settings, ctx.now()), ...(lastError ?? previous ? { lastError: lastError ?? previous } : {}) };
  await ctx.store.setSourceState({ ...state, fullText: status });
  return report;
}

/** One item's page: how its item changes (the article, or the failure recorded); undefined when not fetched now. */
async function readPage(item: Item, source: SourceConfig, settings: FullTextSettings, ctx: FullTextContext): Promise<{ change: PageChange['change']; error?: string } | undefined> {
  const started = performance.now();
  const log = { source: source.id, url: item.link };
  const link = item.link;
  const key = settingsKey(settings);
  // The item as stored when the change is written: the feed may have given it another link meanwhile (then this
  // page is no longer its page, and the change does nothing).
  const onSameLink = (change: (current: Item) => Item) => (current: Item) => (current.link === link ? change(current) : current);
  let reason: string;
  try {
    const page = await ctx.fetchPage(link, source);
    if (!page) return undefined;
    const extract = ctx.extract ?? defaultExtract;
    const { html, textLength } = await extract(page.text, page.url, settings, source.id);
    const at = ctx.now().toISOString();
    ctx.logger.info({ ...log, chars: textLength, ms: Math.round(performance.now() - started) }, 'full text read');
    return { change: onSameLink((current) => withPageContent(current, html, { link, at, settings: key })) };
  } catch (err) {
    reason = err instanceof FullTextError ? err.reason : `extraction failed: ${(err as Error).message}`;
  }
  ctx.logger.warn({ ...log, error: reason }, `full text of ${source.id} item failed: ${reason}`);
  const now = ctx.now();
  return {
    error: reason,
    change: onSameLink((current) => {
      const record = current.fullText;
      // A page read before, read again for refresh: the article it gave stays; no new attempt before the next change.
      if (record?.status === 'ok' && record.link === link) return { ...current, fullText: { ...record, at: now.toISOString(), settings: key, readFor: record.feedHash } };
      return { ...current, fullText: failedRecord(current, settings, reason, now) };
    }),
  };
}

const defaultExtract: NonNullable<FullTextContext['extract']> = async (text, pageUrl, settings) =>
  (await import('./extract.ts')).extractArticle(text, pageUrl, settings);
