// An item's page through the fetch stage's own code (fetch/fetch-source.ts): timeouts, body cap, redirects and their
// guard, charset from HTTP or <meta> (GBK pages included), the source's headers, auth and proxy. The host queue,
// rate and pauses are the cycle's (fetch-cycle.ts), which calls this inside them.
import type { SourceConfig } from '../config/types.ts';
import { PrivateAddressError, privateAddressCause } from '../fetch/address-policy.ts';
import { SourceFetchError } from '../fetch/errors.ts';
import { fetchSource, type FetchOptions } from '../fetch/fetch-source.ts';
import { FullTextError } from './errors.ts';

export interface FetchedPage {
  /** decoded text; the caller extracts from it and lets it go */
  text: string;
  /** where the page was read from, after redirects: the base of its relative URLs */
  url: string;
}

/** Media types an article page comes as; a link to a PDF or an image has no article to take. */
const PAGE_TYPES = /^(?:text\/html|application\/xhtml\+xml|text\/plain)\b/i;

/**
 * Fetches one item page for the source it belongs to. The source's credentials and headers go with it only
 * when the page is on the source's own origin, as the source's own fetch sends them. Throws FullTextError, whose
 * cause is the SourceFetchError when the fetch itself failed (a 429's Retry-After is on it).
 */
export async function fetchPage(url: string, source: Pick<SourceConfig, 'id' | 'url' | 'auth' | 'headers' | 'encoding'>, options: FetchOptions): Promise<FetchedPage> {
  const isOwnOrigin = originOf(url) === originOf(source.url);
  let result;
  try {
    options = await guarded(url, source.url, options);
    result = await fetchSource({
      sourceId: source.id,
      url,
      document: 'html',
      ...(source.encoding ? { encoding: source.encoding } : {}),
      ...(isOwnOrigin && source.auth ? { auth: source.auth } : {}),
      ...(isOwnOrigin && source.headers ? { headers: source.headers } : {}),
    }, options);
  } catch (err) {
    const refused = err instanceof PrivateAddressError ? err : err instanceof SourceFetchError ? privateAddressCause(err.cause) : undefined;
    if (refused) throw new FullTextError(url, `the item's link leads into the private network: ${refused.message}`, { cause: err });
    if (!(err instanceof SourceFetchError)) throw err;
    // The message without its "source x (url): " head, which the FullTextError's own message repeats.
    throw new FullTextError(url, err.message.replace(/^source \S+ \([^)]*\): /, ''), { cause: err });
  }
  // No validators were sent, so a 304 can only come from a broken server.
  if (result.kind === 'not-modified') throw new FullTextError(url, 'the server answered 304 Not Modified to a plain GET');
  if (result.contentType && !PAGE_TYPES.test(result.contentType.trim())) {
    throw new FullTextError(url, `the link is not a web page (Content-Type ${result.contentType.split(';')[0]!.trim()})`);
  }
  return { text: result.text, url: result.url };
}

/**
 * A feed names its items' links, so an item page is held to the rule of a redirect (fetch.allowPrivateRedirects): a
 * source on a public host may not send the service into the private network through a link, whether the link
 * names an address (refused here) or a name that resolves to one (refused when the socket connects). Pages on the
 * source's own host, and every page of a source the operator put on a private host, are exempt.
 */
async function guarded(url: string, sourceUrl: string, options: FetchOptions): Promise<FetchOptions> {
  const guard = options.redirectGuard;
  if (!guard || guard.policy.isOpen || hostnameOf(url) === hostnameOf(sourceUrl)) return options;
  if (await guard.policy.isPrivateHost(new URL(sourceUrl))) return options;
  const refusal = guard.policy.refusalForUrl(new URL(url));
  if (refusal) throw refusal;
  // Through a proxy, the proxy resolves the name: the literal check above is all this process can do.
  return options.isProxied ? options : { ...options, dispatcher: guard.dispatcher };
}

function hostnameOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
