#!/usr/bin/env node
// tributary serve | fetch --once | check | inspect — see README "Command line".
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { App, USER_AGENT } from './app.ts';
import { loadConfig, parseConfig } from './config/load.ts';
import { ConfigError } from './config/errors.ts';
import type { Config } from './config/types.ts';
import { SourceFetchError } from './fetch/errors.ts';
import { createFetchAgent, fetchSource } from './fetch/fetch-source.ts';
import { createLogger } from './log.ts';
import { discoverFeeds } from './parse/discover.ts';
import { FeedParseError, NotAFeedError } from './parse/errors.ts';
import { parseFeed } from './parse/parse-feed.ts';

const USAGE = `usage:
  tributary serve [--config FILE] [--data DIR] [--port N] [--host H]
  tributary fetch --once [--force] [--config FILE] [--data DIR]
  tributary check [--config FILE]
  tributary check --discover URL [--config FILE]
`;

interface Common {
  config: string;
  data: string;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      once: { type: 'boolean' },
      force: { type: 'boolean' },
      discover: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const common: Common = {
    config: values.config ?? process.env.TRIBUTARY_CONFIG ?? 'feeds/sources.yaml',
    data: values.data ?? process.env.TRIBUTARY_DATA ?? 'data',
  };
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'serve':
      return serve(common, values.port ?? process.env.PORT ?? '8080', values.host ?? process.env.HOST ?? '127.0.0.1');
    case 'fetch':
      if (!values.once) {
        process.stderr.write('tributary fetch needs --once (the scheduler runs under "tributary serve")\n');
        return 2;
      }
      return fetchOnce(common, values.force ?? false);
    case 'check':
      return values.discover === undefined ? check(common) : discover(common, values.discover);
    default:
      process.stderr.write(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

async function check(common: Common): Promise<number> {
  try {
    const config = await loadConfig(common.config);
    process.stdout.write(`${common.config}: ok, ${config.sources.length} sources (${config.sources.filter((s) => s.enabled).length} enabled)\n`);
    return 0;
  } catch (err) {
    return reportConfigError(err);
  }
}

/**
 * Fetches URL and tells whether it is a feed or a web page, listing the feeds a page links. Exit 0 when a feed
 * was found (the URL itself or a linked one), 1 otherwise. Uses the config's fetch settings when it exists.
 */
async function discover(common: Common, url: string): Promise<number> {
  let config: Config;
  try {
    config = existsSync(common.config) ? await loadConfig(common.config) : parseConfig('{}', 'defaults');
  } catch (err) {
    return reportConfigError(err);
  }
  const agent = createFetchAgent(config.fetch.connectTimeoutMs);
  try {
    const fetched = await fetchSource({ sourceId: 'check', url }, {
      ...config.fetch, userAgent: config.fetch.userAgent ?? USER_AGENT, dispatcher: agent,
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
    await agent.close();
  }
}

/** force: also fetch sources that are backing off; without it a cron-driven fetch --once stays polite too. */
async function fetchOnce(common: Common, force: boolean): Promise<number> {
  let config;
  try {
    config = await loadConfig(common.config);
  } catch (err) {
    return reportConfigError(err);
  }
  const logger = createLogger();
  const app = await App.open({ config, dataDir: common.data, logger });
  const report = await app.runCycle(undefined, { force });
  for (const outcome of report.sources) {
    if (outcome.error) process.stderr.write(`${outcome.sourceId}: ${outcome.error.message}\n`);
    if (outcome.movedTo) process.stderr.write(`${outcome.sourceId}: moved permanently to ${outcome.movedTo}; update its url in ${common.config}\n`);
  }
  for (const { sourceId, nextFetch } of report.skipped) {
    process.stderr.write(`${sourceId}: skipped, backing off until ${nextFetch} (--force fetches it anyway)\n`);
  }
  const failed = report.sources.filter((s) => s.status === 'error').length;
  const skipped = report.skipped.length ? `, ${report.skipped.length} skipped` : '';
  process.stderr.write(`fetched ${report.sources.length} sources (${failed} failed${skipped}): ${report.added} new, ${report.updated} updated items; ${app.store.size} stored\n`);
  await app.close();
  return 0;
}

async function serve(common: Common, portText: string, host: string): Promise<number> {
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`invalid port "${portText}"\n`);
    return 2;
  }
  let config;
  try {
    config = await loadConfig(common.config);
  } catch (err) {
    return reportConfigError(err);
  }
  const logger = createLogger();
  const app = await App.open({ config, dataDir: common.data, logger });
  const address = await app.listen(port, host);
  logger.info({ host: address.address, port: address.port, items: app.store.size }, `serving on http://${host}:${address.port}/`);
  app.startSchedule();
  app.runCycle().catch((err) => logger.error({ err }, 'first cycle failed'));
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('shutting down');
  await app.close();
  return 0;
}

function reportConfigError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  throw err;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`tributary: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
