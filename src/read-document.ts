// One feed body to normalized Items, as the service stores them (before dedupe): the counterpart of readPage
// (read-page.ts) for feeds. Runs on a read worker (workers/read-worker.ts) in the service, in-thread in the CLI's
// inspect; either way it takes and returns plain data only.
import { normalizeItem } from './normalize/normalize-item.ts';
import { spacedUndated } from './normalize/undated-order.ts';
import type { TrackingParams } from './normalize/urls.ts';
import { NotAFeedError, SourceParseError } from './parse/errors.ts';
import { parseFeed } from './parse/parse-feed.ts';
import type { ParsedFeed } from './parse/types.ts';
import type { XmlLimits } from './parse/xml-scan.ts';
import type { Item } from './model.ts';

export interface DocumentContext {
  sourceId: string;
  /** the source's configured URL, for error messages */
  url: string;
  /** where the body was read from (after redirects): base of relative links and xml:base */
  documentUrl: string;
  timezone: string;
  now: Date;
  idAuthority: string;
  trackingParams: TrackingParams;
}

/**
 * One feed body to normalized Items, as the service stores them (before dedupe). Throws SourceParseError. `limits`:
 * the parser's, e.g. a read worker's clock of its own CPU time for the time budget.
 */
export async function readDocument(text: string, ctx: DocumentContext, limits?: Partial<XmlLimits>): Promise<{ feed: ParsedFeed; items: Item[] }> {
  const feed = await parseFeed(text, { documentUrl: ctx.documentUrl, ...(limits ? { limits } : {}) }).catch(async (err: Error) => {
    // A web page instead of a feed is reported with the feeds it links, if any.
    // discover.ts (htmlparser2) is loaded for that case only: a read worker that meets no web page never compiles it.
    const discovered = err instanceof NotAFeedError && err.looksLike === 'html'
      ? (await import('./parse/discover.ts')).discoverFeeds(text, ctx.documentUrl).map((f) => f.url) : [];
    throw new SourceParseError(ctx.sourceId, ctx.url, err, discovered);
  });
  // A date zone nobody knows is read in the source's zone, never as UTC; the operator hears of it once per zone.
  const unknownZones = new Set<string>();
  const normalizeCtx = {
    onUnknownZone: (zone: string) => unknownZones.add(zone),
    sourceId: ctx.sourceId,
    feedUrl: ctx.documentUrl,
    ...(feed.link ? { feedLink: feed.link } : {}),
    timezone: ctx.timezone,
    now: ctx.now,
    idAuthority: ctx.idAuthority,
    trackingParams: ctx.trackingParams,
  };
  const items = spacedUndated(feed.items.map((raw) => normalizeItem(raw, normalizeCtx)), ctx.now);
  const warnings = [...feed.warnings ?? [], ...[...unknownZones].map((zone) =>
    `dates with the unknown zone "${zone}" are read in the source's timezone (${ctx.timezone}); set the source's timezone if that is not theirs`)];
  return { feed: { ...feed, ...(warnings.length > 0 ? { warnings } : {}) }, items };
}
