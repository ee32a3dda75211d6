#!/usr/bin/env node
// tributary serve | fetch --once | check | import-opml — see README "Command line".
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { App, USER_AGENT } from './app.ts';
import { defaultConfig, loadConfig, parseConfig } from './config/load.ts';
import { ConfigError } from './config/errors.ts';
import type { Config } from './config/types.ts';
import { SourceFetchError } from './fetch/errors.ts';
import { createFetchAgent, fetchSource } from './fetch/fetch-source.ts';
import { configDirectoryOf, importOpml } from './cli/import-opml.ts';
import { InspectError, inspectDocument } from './cli/inspect-document.ts';
import { logOpened, runService } from './cli/lifecycle.ts';
import { createLogger } from './log.ts';
import { inspectRulesCommand } from './cli/inspect-rules.ts';
import { discoverFeeds } from './parse/discover.ts';
import { FeedParseError, NotAFeedError, SourceParseError } from './parse/errors.ts';
import { parseFeed } from './parse/parse-feed.ts';
import { StoreCorruptError } from './store/errors.ts';

const USAGE = `usage:
  tributary serve [--config PATH] [--data DIR] [--port N] [--host H] [--recover] [--purge] [--shutdown-timeout S]
  tributary fetch --once [--force] [--source ID[,ID…]]… [--config PATH] [--data DIR] [--recover] [--purge]
  tributary check [--config PATH]
  tributary check --discover URL [--config PATH]
  tributary import-opml FILE [--config PATH]
  tributary inspect FILE|URL [--url BASE] [--content-type CT] [--timezone TZ] [--config PATH]
  tributary inspect --rules FILE|URL [--config PATH] [--source ID]
  tributary inspect --html FILE|URL --select-item CSS --select-title SEL [--select-link SEL] [--select-summary SEL]
                    [--select-date SEL] [--select-date-format FMT] [--url BASE] [--content-type CT] [--timezone TZ] [--config PATH]
PATH is a config file or a directory of *.yaml and *.opml files (default: the feeds/ directory).
`;

/** Without --config or TRIBUTARY_CONFIG every file of feeds/ is read; feeds/sources.yaml is the main one. */
const DEFAULT_CONFIG = 'feeds';

interface Common {
  config: string;
  data: string;
  recover: boolean;
  purge: boolean;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string' },
      data: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      once: { type: 'boolean' },
      force: { type: 'boolean' },
      source: { type: 'string', multiple: true },
      discover: { type: 'string' },
      recover: { type: 'boolean' },
      purge: { type: 'boolean' },
      'shutdown-timeout': { type: 'string' },
      url: { type: 'string' },
      'content-type': { type: 'string' },
      timezone: { type: 'string' },
      rules: { type: 'boolean' },
      html: { type: 'string' },
      'select-item': { type: 'string' },
      'select-title': { type: 'string' },
      'select-link': { type: 'string' },
      'select-summary': { type: 'string' },
      'select-date': { type: 'string' },
      'select-date-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  const common: Common = {
    config: values.config ?? process.env.TRIBUTARY_CONFIG ?? DEFAULT_CONFIG,
    data: values.data ?? process.env.TRIBUTARY_DATA ?? 'data',
    recover: values.recover ?? false,
    purge: values.purge ?? false,
  };
  if (values.help || !command) {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  switch (command) {
    case 'serve': {
      const grace = Number(values['shutdown-timeout'] ?? process.env.TRIBUTARY_SHUTDOWN_TIMEOUT ?? '10');
      if (!Number.isFinite(grace) || grace < 0) return usageError(`invalid --shutdown-timeout "${values['shutdown-timeout']}" (seconds)`);
      return serve(common, values.port ?? process.env.PORT ?? '8080', values.host ?? process.env.HOST ?? '127.0.0.1', grace * 1000);
    }
    case 'fetch':
      if (!values.once) return usageError('tributary fetch needs --once (the scheduler runs under "tributary serve")');
      return fetchOnce(common, values.force ?? false, (values.source ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean));
    case 'check':
      return values.discover === undefined ? check(common) : discover(common, values.discover);
    case 'import-opml':
      if (positionals.length !== 1) return usageError(`tributary import-opml needs one OPML file\n${USAGE}`);
      return importCommand(positionals[0]!, common);
    case 'inspect':
      if (values.rules) {
        return inspectRulesCommand({ configFile: common.config, target: positionals[0], userAgent: USER_AGENT, ...(values.source?.[0] ? { sourceId: values.source[0] } : {}) });
      }
      return inspect(positionals, values);
    default:
      return usageError(`unknown command "${command}"\n${USAGE}`);
  }
}

async function check(common: Common): Promise<number> {
  try {
    const config = await loadConfig(common.config);
    const files = config.files.length > 1 ? ` from ${config.files.length} files` : '';
    process.stdout.write(`${common.config}: ok, ${config.sources.length} sources (${config.sources.filter((s) => s.enabled).length} enabled)${files}\n`);
    return 0;
  } catch (err) {
    return reportStartError(err);
  }
}

interface InspectFlags {
  config?: string | undefined;
  html?: string | undefined;
  'select-item'?: string | undefined;
  'select-title'?: string | undefined;
  'select-link'?: string | undefined;
  'select-summary'?: string | undefined;
  'select-date'?: string | undefined;
  'select-date-format'?: string | undefined;
  url?: string | undefined;
  'content-type'?: string | undefined;
  timezone?: string | undefined;
}

/** Prints the items of one document as JSON lines on stdout; a summary or the error on stderr. */
async function inspect(positionals: string[], flags: InspectFlags): Promise<number> {
  const page = flags.html === undefined ? undefined : {
    item: flags['select-item'], title: flags['select-title'], link: flags['select-link'], summary: flags['select-summary'],
    date: flags['select-date'], dateFormat: flags['select-date-format'],
  };
  if (!page && Object.keys(flags).some((flag) => flag.startsWith('select-'))) {
    process.stderr.write(`tributary inspect: the --select-… options read a web page given as --html FILE|URL\n${USAGE}`);
    return 2;
  }
  if (page && (page.item === undefined || page.title === undefined)) {
    process.stderr.write(`tributary inspect --html needs --select-item and --select-title\n${USAGE}`);
    return 2;
  }
  if (positionals.length !== (page ? 0 : 1)) {
    process.stderr.write(`tributary inspect needs exactly one FILE or URL${page ? ', given as --html FILE|URL' : ''}\n${USAGE}`);
    return 2;
  }
  const target = page ? flags.html! : positionals[0]!;
  let config: Config;
  try {
    // Only an explicit --config: inspect is often run where no sources file exists.
    config = flags.config ? await loadConfig(flags.config) : defaultConfig();
  } catch (err) {
    return reportStartError(err);
  }
  try {
    const { feed, items } = await inspectDocument({
      target, config, userAgent: config.fetch.userAgent ?? USER_AGENT,
      ...(flags.url !== undefined ? { url: flags.url } : {}),
      ...(flags['content-type'] !== undefined ? { contentType: flags['content-type'] } : {}),
      ...(flags.timezone !== undefined ? { timezone: flags.timezone } : {}),
      ...(page ? { select: { ...page, item: page.item!, title: page.title! } } : {}),
    });
    process.stdout.write(items.map((item) => `${JSON.stringify(item)}\n`).join(''));
    const kind = feed.format === 'html' ? 'html page' : `${feed.format} feed`;
    process.stderr.write(`${target}: ${kind}${feed.title ? ` "${feed.title}"` : ''}, ${items.length} items\n`);
    return 0;
  } catch (err) {
    if (err instanceof SourceParseError || err instanceof SourceFetchError) {
      // The pseudo-source "inspect" means nothing to the operator; the target does.
      const message = err instanceof SourceParseError ? (err.cause as Error).message : err.message.replace(/^source \S+ \(([^)]*)\): /, '');
      process.stderr.write(`tributary inspect: ${target}: ${message}\n`);
      return 1;
    }
    if (err instanceof InspectError || err instanceof FeedParseError) {
      process.stderr.write(`tributary inspect: ${err.message}\n`);
      return 1;
    }
    throw err;
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
    return reportStartError(err);
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

/**
 * force: also fetch sources that are backing off; without it a cron-driven fetch --once stays polite too.
 * only: the sources the operator named (--source); they are fetched now, backoff or not, since asking for one
 * source by name is how an operator says "I fixed it, try again".
 */
async function fetchOnce(common: Common, force: boolean, only: string[]): Promise<number> {
  const logger = createLogger();
  let config: Config;
  try {
    config = await loadConfig(common.config);
  } catch (err) {
    return reportStartError(err);
  }
  for (const id of only) {
    const source = config.sources.find((s) => s.id === id);
    if (!source) return usageError(`unknown source "${id}" (not in ${common.config})`);
    if (!source.enabled) return usageError(`source "${id}" is disabled (enabled: false in ${common.config})`);
  }
  let app: App;
  try {
    app = await App.open({ config, dataDir: common.data, logger, recover: common.recover, purge: common.purge });
  } catch (err) {
    return reportStartError(err);
  }
  logOpened(logger, app.store.file, app.store.opened);
  const report = await app.runCycle(only.length > 0 ? [...new Set(only)] : undefined, { force: force || only.length > 0 });
  for (const outcome of report.sources) {
    if (outcome.error) process.stderr.write(`${outcome.sourceId}: ${outcome.error.message}\n`);
    if (outcome.movedTo) process.stderr.write(`${outcome.sourceId}: moved permanently to ${outcome.movedTo}; update its url in ${common.config}\n`);
  }
  for (const { sourceId, nextFetch, host } of report.skipped) {
    const why = host ? `its host ${host} asked for a pause until ${nextFetch}` : `backing off until ${nextFetch}`;
    process.stderr.write(`${sourceId}: skipped, ${why} (--force or --source ${sourceId} fetches it anyway)\n`);
  }
  const failed = report.sources.filter((s) => s.status === 'error').length;
  const skipped = report.skipped.length ? `, ${report.skipped.length} skipped` : '';
  process.stderr.write(`fetched ${report.sources.length} sources (${failed} failed${skipped}): ${report.added} new, ${report.updated} updated items; ${app.store.size} stored\n`);
  await app.close();
  if (report.writeError) {
    process.stderr.write(`${report.writeError.message}\n`);
    return 1;
  }
  return 0;
}

async function serve(common: Common, portText: string, host: string, shutdownGraceMs: number): Promise<number> {
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return usageError(`invalid port "${portText}"`);
  try {
    const config = await loadConfig(common.config);
    return await runService({ configPath: common.config, dataDir: common.data, port, host, recover: common.recover, purge: common.purge, shutdownGraceMs, logger: createLogger() }, config);
  } catch (err) {
    return reportStartError(err);
  }
}

async function importCommand(opmlFile: string, common: Common): Promise<number> {
  const dir = await configDirectoryOf(common.config);
  let result;
  try {
    result = await importOpml(opmlFile, dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return usageError(`cannot read ${opmlFile}: no such file`);
    return reportStartError(err);
  }
  for (const s of result.added) process.stdout.write(`+ ${s.id}  ${s.url}${s.tags.length ? `  [${s.tags.join(', ')}]` : ''}\n`);
  for (const s of result.skipped) process.stdout.write(`= ${opmlFile}:${s.line}: ${s.title ?? s.url}: ${s.reason}\n`);
  process.stdout.write(result.added.length > 0
    ? `imported ${result.added.length} sources into ${result.file}; ${result.skipped.length} outlines skipped\n`
    : `nothing new to import; ${result.skipped.length} outlines skipped\n`);
  if (dir !== common.config) process.stderr.write(`note: --config names a file; ${result.file} is read only when the config is its directory (${dir})\n`);
  return 0;
}

/** Problems an operator fixes (config, store file) print as plain lines and exit 1; anything else is a bug. */
function reportStartError(err: unknown): number {
  if (err instanceof ConfigError || err instanceof StoreCorruptError) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  throw err;
}

function usageError(message: string): number {
  process.stderr.write(`${message}\n`);
  return 2;
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
