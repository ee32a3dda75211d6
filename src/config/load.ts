import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { splitUrlCredentials } from './credentials.ts';
import { expandSecrets, type Environment } from './secrets.ts';
import { toPlainText } from '../normalize/plain-text.ts';
import { ConfigError, type ConfigProblem } from './errors.ts';
import { feedUrlKey, parseOpml, type OpmlFeed } from './opml.ts';
import { FULL_TEXT_DEFAULTS, configSchema, crossReferenceIssues, sourceSchema, type ConfigFile, type SourceFileEntry } from './schema.ts';
import { toPageSelectors } from './selector.ts';
import { claimId, deriveSourceId } from './source-ids.ts';
import type { Config, FullTextInput, FullTextSettings, SourceConfig, TagInfo, TagRule } from './types.ts';
import { parseYamlFile, type ParsedYamlFile } from './yaml-file.ts';

/** the links' base when baseUrl is unset and no listening address is known (fetch --once, check) */
export const DEFAULT_BASE_URL = 'http://127.0.0.1:8080';

export interface ConfigText {
  file: string;
  text: string;
}

/** The file that holds the global keys when a directory is read, if present. */
export const MAIN_FILE_NAMES = ['sources.yaml', 'sources.yml'];

/**
 * Reads a config file, or every *.yaml and *.opml file of a directory, and validates the whole; throws
 * ConfigError listing every problem with file:line.
 */
export async function loadConfig(path: string, env: Environment = process.env): Promise<Config> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (err) {
    throw new ConfigError([{ file: path, line: 0, key: '', message: `cannot read config: ${(err as Error).message}` }]);
  }
  const files = isDirectory ? await listConfigFiles(path) : [path];
  if (files.length === 0) {
    throw new ConfigError([{ file: path, line: 0, key: '', message: 'the directory holds no *.yaml or *.opml file' }]);
  }
  const texts = await Promise.all(files.map(async (file) => {
    try {
      return { file, text: await readFile(file, 'utf8') };
    } catch (err) {
      throw new ConfigError([{ file, line: 0, key: '', message: `cannot read config: ${(err as Error).message}` }]);
    }
  }));
  return buildConfig(texts, env);
}

/** The config every key's default makes, for commands that run without a sources file (inspect). */
export function defaultConfig(): Config {
  return parseConfig('{}', '(defaults)');
}

/** Validates one YAML file holding the whole config. */
export function parseConfig(text: string, file: string, env: Environment = process.env): Config {
  return buildConfig([{ file, text }], env);
}

/** The config files of a directory, by name; editor backups and hidden files are not config. */
export async function listConfigFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isFile() && isConfigFileName(e.name)).map((e) => join(dir, e.name)).sort();
}

export function isConfigFileName(name: string): boolean {
  return !name.startsWith('.') && /\.(ya?ml|opml)$/i.test(name);
}

/**
 * Merges several files into one Config. The main file (sources.yaml, else the first YAML file) alone may
 * set the global keys; the others hold only sources. Ids are unique across all files. OPML outlines become
 * sources with derived ids; one whose URL a YAML file already lists is left out, since the YAML entry is
 * the one the operator wrote.
 */
export function buildConfig(inputs: ConfigText[], env: Environment = process.env): Config {
  const isOpml = (f: ConfigText) => /\.opml$/i.test(f.file);
  const yamls = inputs.filter((f) => !isOpml(f));
  const main = yamls.find((f) => MAIN_FILE_NAMES.includes(basename(f.file))) ?? yamls[0];
  const ordered = [...(main ? [main] : []), ...yamls.filter((f) => f !== main), ...inputs.filter(isOpml)];
  const parsed = ordered.filter((f) => !isOpml(f)).map((f) => parseYamlFile(f.text, f.file, f === main ? 'main' : 'sources', main?.file));
  const opmls = ordered.filter(isOpml).map((f) => ({ file: f.file, ...parseOpml(f.text, f.file) }));
  const problems = [...parsed.flatMap((p) => p.problems), ...duplicateIdProblems(parsed), ...opmls.flatMap((o) => o.problems)];
  if (problems.length === 0) expandSecrets(parsed, env, problems);
  const globals = parsed[0]?.data ?? configSchema.parse({});
  const sources = problems.length === 0 ? yamlSources(parsed, globals) : [];
  if (problems.length === 0) sources.push(...opmlSources(opmls, sources, globals, problems));
  if (problems.length === 0 && parsed[0]) {
    const mainFile = parsed[0];
    for (const issue of crossReferenceIssues(globals, sources)) {
      problems.push({ file: mainFile.file, line: mainFile.lineAt(issue.path), key: issue.path.join('.'), message: issue.message });
    }
  }
  if (problems.length > 0) throw new ConfigError(sortProblems(problems, ordered.map((f) => f.file)));
  return toConfig(globals, sources, ordered.map((f) => f.file));
}

function yamlSources(parsed: ParsedYamlFile[], globals: ConfigFile): SourceConfig[] {
  return parsed.flatMap((p) => p.data!.sources.map((s) => toSource(s, globals)));
}

function opmlSources(opmls: { file: string; feeds: OpmlFeed[] }[], existing: SourceConfig[], globals: ConfigFile, problems: ConfigProblem[]): SourceConfig[] {
  const byUrl = new Map<string, SourceConfig>(existing.map((s) => [feedUrlKey(s.url), s]));
  const fromYaml = new Set(byUrl.values());
  const taken = new Set(existing.map((s) => s.id));
  const added: SourceConfig[] = [];
  for (const { file, feeds } of opmls) {
    for (const feed of feeds) {
      const same = byUrl.get(feedUrlKey(feed.url));
      if (same) {
        // The same feed in two folders of an export: one source carrying both folders' tags.
        if (!fromYaml.has(same)) same.tags = [...new Set([...same.tags, ...feed.tags])];
        continue;
      }
      const candidate = { id: claimId(deriveSourceId(feed.name, feed.url), taken), url: feed.url, tags: feed.tags, ...(feed.title ? { title: feed.title } : {}) };
      const checked = sourceSchema.safeParse(candidate);
      if (!checked.success) {
        for (const issue of checked.error.issues) {
          problems.push({ file, line: feed.line, key: `outline.${issue.path.join('.')}`, message: `${issue.message} (outline "${feed.title ?? feed.url}")` });
        }
        continue;
      }
      const source = toSource(checked.data, globals);
      byUrl.set(feedUrlKey(feed.url), source);
      added.push(source);
    }
  }
  return added;
}

function toSource(s: SourceFileEntry, globals: ConfigFile): SourceConfig {
  // auth: wins over a user:pass@ in the URL; either way the URL kept is the one without it.
  const { url, auth: urlAuth } = splitUrlCredentials(s.url);
  const auth = s.auth ?? urlAuth;
  return {
    id: s.id,
    url,
    ...(auth ? { auth } : {}),
    ...(s.headers && Object.keys(s.headers).length > 0 ? { headers: { ...s.headers } } : {}),
    ...(s.proxy !== undefined ? { proxy: s.proxy } : {}),
    // Feeds keep the shape they had before pages existed, so configs of feeds compare and print as before.
    ...(s.type === 'html' && s.select ? { type: 'html' as const, select: toPageSelectors(s.select) } : {}),
    // Titles written in a config file are the operator's text, taken literally: "<T>" is three characters.
    ...(s.title !== undefined ? { title: toPlainText(s.title, 'plain') } : {}),
    tags: [...new Set(s.tags)],
    schedule: s.schedule ?? globals.defaults.schedule,
    enabled: s.enabled,
    ...(s.encoding !== undefined ? { encoding: s.encoding } : {}),
    timezone: s.timezone ?? globals.defaults.timezone,
    ...(s.retention !== undefined ? { retention: s.retention } : {}),
    ...(s.filter ? { filter: s.filter } : {}),
    ...(s.errorItems !== undefined ? { errorItems: s.errorItems } : {}),
    ...(s.ignoreSourceTtl !== undefined ? { ignoreSourceTtl: s.ignoreSourceTtl } : {}),
    ...optionalFullText(fullTextOf(s.fullText, globals.defaults.fullText)),
  };
}

/**
 * A source's own fullText over defaults.fullText, key by key: `true` takes the defaults' settings, `false` turns
 * it off whatever the defaults say.
 */
function fullTextOf(own: boolean | FullTextInput | undefined, defaults: boolean | FullTextInput | undefined): FullTextSettings | undefined {
  if (own === false || (own === undefined && !defaults)) return undefined;
  const inherited = typeof defaults === 'object' ? defaults : {};
  const merged = { ...inherited, ...(typeof own === 'object' ? withoutUndefined(own) : {}) };
  return {
    ...(merged.select !== undefined ? { select: merged.select } : {}),
    remove: [...(merged.remove ?? [])],
    maxPerCycle: merged.maxPerCycle ?? FULL_TEXT_DEFAULTS.maxPerCycle,
    refresh: merged.refresh ?? FULL_TEXT_DEFAULTS.refresh,
  };
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function optionalFullText(settings: FullTextSettings | undefined): { fullText?: FullTextSettings } {
  return settings ? { fullText: settings } : {};
}

function toConfig(data: ConfigFile, sources: SourceConfig[], files: string[]): Config {
  return {
    files,
    title: toPlainText(data.title, 'plain'),
    ...(data.description !== undefined ? { description: toPlainText(data.description, 'plain') } : {}),
    ...(data.language !== undefined ? { language: canonicalTag(data.language) } : {}),
    baseUrl: (data.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, ''),
    ...(data.baseUrl === undefined ? { baseUrlFollowsListen: true } : {}),
    defaults: data.defaults,
    fetch: {
      timeoutMs: data.fetch.timeoutSeconds * 1000,
      connectTimeoutMs: data.fetch.connectTimeoutSeconds * 1000,
      maxBytes: data.fetch.maxBytes,
      ...(data.fetch.userAgent !== undefined ? { userAgent: data.fetch.userAgent } : {}),
      concurrency: data.fetch.concurrency,
      hostConcurrency: data.fetch.hostConcurrency,
      spreadMs: data.fetch.spreadSeconds * 1000,
      minIntervalMs: data.fetch.minIntervalMinutes * 60_000,
      maxIntervalMs: Math.max(data.fetch.maxIntervalMinutes, data.fetch.minIntervalMinutes) * 60_000,
      allowPrivateRedirects: data.fetch.allowPrivateRedirects,
      ...(data.fetch.proxy !== undefined ? { proxy: data.fetch.proxy } : {}),
    },
    dedupe: { trackingParams: [...new Set(data.dedupe.trackingParams)], titleWindowHours: data.dedupe.titleWindowHours },
    retention: data.retention,
    store: data.store,
    websub: {
      builtin: data.websub.builtin,
      ...(data.websub.hub !== undefined ? { hub: data.websub.hub } : {}),
      allowPrivateCallbacks: data.websub.allowPrivateCallbacks,
      maxSubscriptions: data.websub.maxSubscriptions,
      maxSubscriptionsPerHost: data.websub.maxSubscriptionsPerHost,
      requestsPerMinute: data.websub.requestsPerMinute,
      timeoutMs: data.websub.timeoutSeconds * 1000,
    },
    hosts: Object.fromEntries(Object.entries(data.hosts).map(([host, settings]) => [host.toLowerCase(), settings])),
    sources,
    ...(data.rules.length > 0 ? { rules: data.rules.map(toTagRule) } : {}),
    ...(data.tags ? { tags: tagInfos(data.tags) } : {}),
  };
}

function tagInfos(tags: NonNullable<ConfigFile['tags']>): Record<string, TagInfo> {
  return Object.fromEntries(Object.entries(tags).map(([tag, info]) => [tag, {
    ...(info.title !== undefined ? { title: toPlainText(info.title, 'plain') } : {}),
    ...(info.description !== undefined ? { description: toPlainText(info.description, 'plain') } : {}),
  }]));
}

function toTagRule(rule: ConfigFile['rules'][number]): TagRule {
  return {
    tag: rule.tag,
    match: rule.match,
    categories: rule.categories,
    exclude: rule.exclude,
    ...(rule.sources ? { sources: [...new Set(rule.sources)] } : {}),
  };
}

/** Read from the raw documents, so duplicates are reported along with every other problem. */
function duplicateIdProblems(parsed: ParsedYamlFile[]): ConfigProblem[] {
  const first = new Map<string, { file: string; line: number }>();
  const problems: ConfigProblem[] = [];
  for (const { file, ids } of parsed) {
    for (const { id, line, key } of ids) {
      const seen = first.get(id);
      if (!seen) {
        first.set(id, { file, line });
        continue;
      }
      const where = seen.file === file ? `line ${seen.line}` : `${seen.file}:${seen.line}`;
      problems.push({ file, line, key, message: `duplicate source id "${id}" (first used at ${where}); ids must be unique` });
    }
  }
  return problems;
}

function sortProblems(problems: ConfigProblem[], files: string[]): ConfigProblem[] {
  return problems.sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line);
}

/** zh-cn → zh-CN: the case RFC 5646 recommends, which is what the pages and feeds then say. */
function canonicalTag(tag: string): string {
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? tag;
  } catch {
    return tag;
  }
}
