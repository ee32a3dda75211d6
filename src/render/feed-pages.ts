import type { Item } from '../model.ts';
import { FeedPageNotFoundError } from './errors.ts';
import { queryString, type FeedQuery } from './feed-query.ts';
import type { FeedDocument, PageLinks } from './feed-document.ts';
import type { FeedSpec } from './feed-specs.ts';

/**
 * Page `query.page` of `items` as a document with RFC 5005 §3 links: page 1 is the newest items and "next"
 * leads to older ones, so a reader that was away follows "next" until it meets entries it already has.
 * Throws FeedPageNotFoundError past the last page.
 */
export function feedPage(spec: FeedSpec, items: readonly Item[], query: FeedQuery, pageSize: number, emptyUpdated: string, count = items.length): FeedDocument {
  return pageDocument(spec, items.slice((query.page - 1) * pageSize, query.page * pageSize), query, pageSize, emptyUpdated, count);
}

/**
 * feedPage() from the page's own items (`pageItems`, already cut out of a feed of `count` items): for a store that
 * reads one page from its database instead of holding every item.
 */
export function pageDocument(spec: FeedSpec, pageItems: readonly Item[], query: FeedQuery, pageSize: number, emptyUpdated: string, count: number): FeedDocument {
  const pages = Math.max(1, Math.ceil(count / pageSize));
  const page = query.page;
  if (page > pages) throw new FeedPageNotFoundError(spec.path, page, pages);
  const paging: PageLinks | undefined = pages === 1 ? undefined : {
    first: queryString(query, 1),
    ...(page > 1 ? { previous: queryString(query, page - 1) } : {}),
    ...(page < pages ? { next: queryString(query, page + 1) } : {}),
    last: queryString(query, pages),
  };
  return {
    spec,
    items: [...pageItems],
    query: queryString(query),
    idQuery: queryString(query, 1),
    ...(paging ? { paging } : {}),
    emptyUpdated,
  };
}
