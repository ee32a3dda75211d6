import type { RenderedFeed } from './render-feed.ts';
import { prepared, strongEtag } from './render-feed.ts';

/**
 * A page (HTML index, OPML, stylesheet) prepared like a feed: bytes, compressed forms and validators. When
 * the text is unchanged the previous document is returned as is, keeping its Last-Modified. Its compressed
 * forms are made on the first request that wants one: the index changes with every cycle (it shows when each
 * source was fetched) and is asked for far less often than that, while compressing it cost more than
 * rendering the few feeds a cycle changes.
 */
export function renderStaticDoc(text: string, contentType: string, previous: RenderedFeed | undefined, modified = new Date()): RenderedFeed {
  const body = Buffer.from(text, 'utf8');
  const etag = strongEtag(body);
  if (previous && previous.etag === etag) return previous;
  return prepared(body, etag, contentType, modified, 'on-request');
}
