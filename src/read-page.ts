// A `type: html` source's page to normalized Items: the counterpart of readDocument (ingest.ts) for pages. The
// page reader (parse/html-page.ts) keeps the date text as printed; it is read here with the page date reader,
// which fills in a missing year from the fetch time, before the items take the feed items' road.
import type { PageSelectors } from './config/selector.ts';
import type { DocumentContext } from './ingest.ts';
import type { Item } from './model.ts';
import { normalizeItem } from './normalize/normalize-item.ts';
import { spacedUndated } from './normalize/undated-order.ts';
import { parsePageDate } from './normalize/page-dates.ts';
import { SourceParseError } from './parse/errors.ts';
import { parseHtmlPage } from './parse/html-page.ts';
import type { ParsedFeed } from './parse/types.ts';

export type DocumentReader = (text: string, ctx: DocumentContext) => Promise<{ feed: ParsedFeed; items: Item[] }>;

/** readPage bound to a source's selectors, in readDocument's shape. */
export function pageReader(select: PageSelectors): DocumentReader {
  return async (text, ctx) => readPage(text, select, ctx);
}

/** One web page to Items through the selectors. Throws SourceParseError (a selector matching nothing among them). */
export function readPage(text: string, select: PageSelectors, ctx: DocumentContext): { feed: ParsedFeed; items: Item[] } {
  let page: ParsedFeed;
  try {
    page = parseHtmlPage(text, { documentUrl: ctx.documentUrl, select });
  } catch (err) {
    throw new SourceParseError(ctx.sourceId, ctx.url, err as Error);
  }
  const dateCtx = { timezone: ctx.timezone, now: ctx.now, ...(select.dateFormat ? { format: select.dateFormat } : {}) };
  const normalizeCtx = {
    sourceId: ctx.sourceId,
    feedUrl: ctx.documentUrl,
    feedLink: ctx.documentUrl,
    timezone: ctx.timezone,
    now: ctx.now,
    idAuthority: ctx.idAuthority,
    trackingParams: ctx.trackingParams,
  };
  const items = page.items.map((raw) => {
    const { published: printed, ...rest } = raw;
    // An absolute UTC time is what the feed date reader reads back unchanged; an unreadable date is left out, so
    // the item is undated and keeps the time it was first seen.
    const published = parsePageDate(printed, dateCtx);
    const item = normalizeItem(published ? { ...rest, published: published.toISOString() } : rest, normalizeCtx);
    // A page list has no guid: the story's own address is its identity.
    return item.canonicalLink ? { ...item, id: item.canonicalLink } : item;
  });
  return { feed: page, items: spacedUndated(items, ctx.now) };
}
