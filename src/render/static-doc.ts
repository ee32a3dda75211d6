import type { RenderedFeed } from './render-feed.ts';
import { prepare, strongEtag } from './render-feed.ts';

/**
 * A page (HTML index, OPML, stylesheet) prepared like a feed: bytes, compressed forms and validators. When
 * the text is unchanged the previous document is returned as is, keeping its Last-Modified.
 */
export function renderStaticDoc(text: string, contentType: string, previous: RenderedFeed | undefined): RenderedFeed {
  if (previous && previous.etag === strongEtag(Buffer.from(text, 'utf8'))) return previous;
  return prepare(text, contentType, new Date(Math.floor(Date.now() / 1000) * 1000));
}
