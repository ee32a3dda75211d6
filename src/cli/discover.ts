// `tributary check --discover URL`: is this URL a feed, or a page that links one?
import { existsSync } from 'node:fs';
import { USER_AGENT } from '../fetch/user-agent.ts';
import { loadConfig, parseConfig } from '../config/load.ts';
import type { Config } from '../config/types.ts';
import { SourceFetchError } from '../fetch/errors.ts';
import { createFetchAgent, fetchSource } from '../fetch/fetch-source.ts';
import { ProxyAgents } from '../fetch/proxy-agents.ts';
import { discoverFeeds } from '../parse/discover.ts';
import { FeedParseError, NotAFeedError } from '../parse/errors.ts';
import { parseFeed } from '../parse/parse-feed.ts';
import type { CommonOptions } from './common-options.ts';
import { reportStartError } from './start-error.ts';

/**
 * Fetches URL and tells whether it is a feed or a web page, listing the feeds a page links. Exit 0 when a feed
 * was found (the URL itself or a linked one), 1 otherwise. Uses the config's fetch settings when it exists.
 */
export async function discover(common: CommonOptions, url: string): Promise<number> {
  let config: Config;
  try {
    config = existsSync(common.config) ? await loadConfig(common.config) : parseConfig('{}', 'defaults');
  } catch (err) {
    return reportStartError(err);
  }
  const agent = createFetchAgent(config.fetch.connectTimeoutMs);
  // fetch.proxy, else HTTP(S)_PROXY: the way the sources will be fetched
  const proxies = new ProxyAgents(config.fetch.connectTimeoutMs);
  const proxy = proxies.for(config.fetch.proxy);
  try {
    const fetched = await fetchSource({ sourceId: 'check', url }, {
      ...config.fetch, userAgent: config.fetch.userAgent ?? USER_AGENT, dispatcher: proxy ?? agent, ...(proxy ? { isProxied: true } : {}),
    });
    if (fetched.kind !== 'ok') throw new Error('unexpected 304 without validators');
    const where = fetched.url === url ? url : `${url} (redirected to ${fetched.url})`;
    try {
      const feed = await parseFeed(fetched.text);
      process.stdout.write(`${where} is a feed: ${feed.format}, ${JSON.stringify(feed.title ?? '')}, ${feed.items.length} items\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof NotAFeedError && err.looksLike === 'html')) throw err;
      const feeds = discoverFeeds(fetched.text, fetched.url);
      if (feeds.length === 0) {
        process.stdout.write(`${where} is a web page that links no feed (<link rel="alternate">)\n`);
        return 1;
      }
      process.stdout.write(`${where} is a web page; its feed is at ${feeds[0]!.url}\n`);
      for (const f of feeds) process.stdout.write(`${f.url}\t${f.type}${f.title ? `\t${f.title}` : ''}\n`);
      return 0;
    }
  } catch (err) {
    if (!(err instanceof SourceFetchError || err instanceof FeedParseError)) throw err;
    process.stdout.write(`${url}: ${err.message.replace(/^source check \([^)]*\): /, '')}\n`);
    return 1;
  } finally {
    await Promise.all([agent.close(), proxies.close()]);
  }
}
