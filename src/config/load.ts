import { readFile } from 'node:fs/promises';
import { Document, LineCounter, isMap, isNode, isPair, isScalar, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors.ts';
import { configSchema, type ConfigFile } from './schema.ts';
import type { Config, SourceConfig, TagRule } from './types.ts';

/** Reads and validates one sources file; throws ConfigError listing every problem with file:line. */
export async function loadConfig(file: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: 0, key: '', message: `cannot read config: ${(err as Error).message}` }]);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file: string): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number) => lines.linePos(offset).line;
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({
      file, line: lineOf(e.pos[0]), key: '', message: `YAML: ${e.message.split('\n')[0]}`,
    })));
  }
  const raw = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(raw);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.flatMap((issue) => problemsOf(issue, doc, file, lineOf))),
    ...duplicateIdProblems(raw, doc, file, lineOf),
  ].sort((a, b) => a.line - b.line);
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return toConfig(parsed.data, [file]);
}

function toConfig(data: ConfigFile, files: string[]): Config {
  const sources: SourceConfig[] = data.sources.map((s) => ({
    id: s.id,
    url: s.url,
    ...(s.title !== undefined ? { title: s.title } : {}),
    tags: [...new Set(s.tags)],
    schedule: s.schedule ?? data.defaults.schedule,
    enabled: s.enabled,
    ...(s.encoding !== undefined ? { encoding: s.encoding } : {}),
    timezone: s.timezone ?? data.defaults.timezone,
    ...(s.filter ? { filter: s.filter } : {}),
  }));
  return {
    files,
    title: data.title,
    ...(data.description !== undefined ? { description: data.description } : {}),
    baseUrl: data.baseUrl.replace(/\/+$/, ''),
    defaults: data.defaults,
    fetch: {
      timeoutMs: data.fetch.timeoutSeconds * 1000,
      maxBytes: data.fetch.maxBytes,
      ...(data.fetch.userAgent !== undefined ? { userAgent: data.fetch.userAgent } : {}),
    },
    retention: data.retention,
    sources,
    ...(data.rules.length > 0 ? { rules: data.rules.map(toTagRule) } : {}),
    ...(data.tags ? { tags: data.tags } : {}),
  };
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

type LineOf = (offset: number) => number;

function problemsOf(issue: z.core.$ZodIssue, doc: Document, file: string, lineOf: LineOf): ConfigProblem[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      file,
      line: lineOf(keyOffset(doc, path, key)),
      key: [...path, key].join('.'),
      message: `unknown key "${key}"${suggestKey(path)}`,
    }));
  }
  return [{ file, line: lineOf(nodeOffset(doc, path)), key: path.join('.'), message: issue.message }];
}

function suggestKey(path: (string | number)[]): string {
  const where = path.length === 0 ? 'at top level' : `under ${path.join('.')}`;
  return ` ${where} (check its spelling against README's list of keys)`;
}

/** The offset of the deepest node that exists along path, so a missing key points at its parent. */
function nodeOffset(doc: Document, path: (string | number)[]): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return node.range[0];
  }
  return 0;
}

function keyOffset(doc: Document, path: (string | number)[], key: string): number {
  const parent = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isMap(parent)) {
    for (const pair of parent.items) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === key && pair.key.range) return pair.key.range[0];
    }
  }
  return nodeOffset(doc, path);
}

/** Read from the raw document, so duplicates are reported along with every other problem. */
function duplicateIdProblems(raw: unknown, doc: Document, file: string, lineOf: LineOf): ConfigProblem[] {
  const firstLine = new Map<string, number>();
  const problems: ConfigProblem[] = [];
  const sources = (raw as { sources?: unknown }).sources;
  if (!Array.isArray(sources)) return [];
  sources.forEach((source: unknown, index) => {
    const id = (source as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    const line = lineOf(nodeOffset(doc, ['sources', index, 'id']));
    const seen = firstLine.get(id);
    if (seen === undefined) firstLine.set(id, line);
    else problems.push({
      file, line, key: `sources.${index}.id`,
      message: `duplicate source id "${id}" (first used at line ${seen}); ids must be unique`,
    });
  });
  return problems;
}

