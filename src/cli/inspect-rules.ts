// `tributary inspect --rules FILE|URL`: reads one feed document as a fetch cycle would (fetch or file,
// charset, parse, normalize) and prints, one JSON line per item, the tags it would get and why.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, UnknownSourceError } from '../config/errors.ts';
import { loadConfig } from '../config/load.ts';
import type { Config, SourceConfig } from '../config/types.ts';
import { decodeBody } from '../fetch/charset.ts';
import { SourceFetchError } from '../fetch/errors.ts';
import { fetchSource, type FetchFunction } from '../fetch/fetch-source.ts';
import { ProxyAgents } from '../fetch/proxy-agents.ts';
import { normalizeItem } from '../normalize/normalize-item.ts';
import { FeedParseError } from '../parse/errors.ts';
import { parseFeed } from '../parse/parse-feed.ts';
import { explainItem, type ItemExplanation } from '../rules/explain.ts';
import { compileRules } from '../rules/match-rules.ts';
import { compileFilter } from '../rules/source-filter.ts';

export interface InspectRulesOptions {
  config: Config;
  /** a file path, or an http:// or https:// URL */
  target: string;
  /** the configured source the document stands for; by default the source whose url is the target */
  sourceId?: string;
  userAgent: string;
  fetch?: FetchFunction;
  now?: Date;
}

/** The command: prints one JSON line per item on stdout; returns the exit code. */
export async function inspectRulesCommand(args: { configFile: string; target: string | undefined; sourceId?: string; userAgent: string }): Promise<number> {
  if (!args.target) {
    process.stderr.write('usage: tributary inspect --rules FILE|URL [--config FILE] [--source ID]\n');
    return 2;
  }
  try {
    const config = await loadConfig(args.configFile);
    const reports = await inspectRules({ config, target: args.target, userAgent: args.userAgent, ...(args.sourceId ? { sourceId: args.sourceId } : {}) });
    for (const report of reports) process.stdout.write(`${JSON.stringify(report)}\n`);
    return 0;
  } catch (err) {
    const failed = err instanceof ConfigError || err instanceof SourceFetchError || err instanceof FeedParseError
      || err instanceof UnknownSourceError || (err as NodeJS.ErrnoException).code === 'ENOENT';
    if (!failed) throw err;
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  }
}

export async function inspectRules(options: InspectRulesOptions): Promise<ItemExplanation[]> {
  const { config, target } = options;
  const source = sourceFor(options);
  const isUrl = /^https?:\/\//i.test(target);
  const { text, url } = isUrl ? await fetchText(options, source) : await readText(target, source);
  const feed = await parseFeed(text);
  const now = options.now ?? new Date();
  const normalizeCtx = {
    sourceId: source?.id ?? 'inspect',
    // A file standing for a configured source resolves its relative links as the source's URL would.
    feedUrl: url,
    ...(feed.link ? { feedLink: feed.link } : {}),
    timezone: source?.timezone ?? config.defaults.timezone,
    now,
    idAuthority: new URL(config.baseUrl).hostname,
  };
  const rules = compileRules(config.rules ?? []);
  const explainSource = source
    ? { id: source.id, tags: source.tags, ...(source.filter ? { filter: compileFilter(source.filter) } : {}) }
    : undefined;
  return feed.items.map((raw) => explainItem(normalizeItem(raw, normalizeCtx), { rules, ...(explainSource ? { source: explainSource } : {}) }));
}

function sourceFor(options: InspectRulesOptions): SourceConfig | undefined {
  const { config, sourceId, target } = options;
  if (sourceId === undefined) return config.sources.find((s) => s.url === target);
  const source = config.sources.find((s) => s.id === sourceId);
  if (!source) throw new UnknownSourceError(sourceId, config);
  return source;
}

async function fetchText(options: InspectRulesOptions, source: SourceConfig | undefined): Promise<{ text: string; url: string }> {
  // The configured source's credentials, headers and proxy, so a private source reads as the cycle reads it; the
  // credentials only for the source's own origin, as in the cycle.
  const isOwnOrigin = source !== undefined && new URL(options.target).origin === new URL(source.url).origin;
  const proxies = new ProxyAgents(options.config.fetch.connectTimeoutMs);
  const dispatcher = proxies.for(source?.proxy ?? options.config.fetch.proxy);
  try {
    const result = await fetchSource({
      sourceId: source?.id ?? 'inspect',
      url: options.target,
      ...(source?.encoding ? { encoding: source.encoding } : {}),
      ...(isOwnOrigin && source.auth ? { auth: source.auth } : {}),
      ...(isOwnOrigin && source.headers ? { headers: source.headers } : {}),
    }, {
      timeoutMs: options.config.fetch.timeoutMs,
      maxBytes: options.config.fetch.maxBytes,
      userAgent: options.config.fetch.userAgent ?? options.userAgent,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(dispatcher ? { dispatcher, isProxied: true } : {}),
    });
    // No validators were sent, so only a misbehaving server answers 304.
    if (result.kind === 'not-modified') throw new Error(`${options.target}: HTTP 304 to a request without validators`);
    return { text: result.text, url: result.url };
  } finally {
    await proxies.close();
  }
}

async function readText(file: string, source: SourceConfig | undefined): Promise<{ text: string; url: string }> {
  const bytes = await readFile(file);
  const decoded = decodeBody(bytes, source?.encoding ? { override: source.encoding } : {});
  return { text: decoded.text, url: source?.url ?? pathToFileURL(resolve(file)).href };
}
