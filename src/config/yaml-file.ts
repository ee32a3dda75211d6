// One YAML config file -> validated data plus every problem with its line. Merging files is load.ts's job.
import { Document, LineCounter, isMap, isNode, isPair, isScalar, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ConfigProblem } from './errors.ts';
import { GLOBAL_KEYS, configSchema, sourcesFileSchema, type ConfigFile, type SourceFileEntry } from './schema.ts';

/** `main` may set the global keys; `sources` files hold only a `sources:` list. */
export type FileRole = 'main' | 'sources';

export interface SourceIdLine {
  id: string;
  line: number;
  /** dotted key of the id, e.g. sources.2.id */
  key: string;
}

export interface ParsedYamlFile {
  file: string;
  /** the validated file, when it has no problems */
  data?: ConfigFile;
  /** each source's line, in the order of data.sources */
  sourceLines: number[];
  /** the line of the node at a key path (or of its deepest existing parent) */
  lineAt: (path: (string | number)[]) => number;
  /** every id the file declares, read from the raw document so duplicates show even in an invalid file */
  ids: SourceIdLine[];
  problems: ConfigProblem[];
}

export function parseYamlFile(text: string, file: string, role: FileRole, mainFile?: string): ParsedYamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number) => lines.linePos(offset).line;
  if (doc.errors.length > 0) {
    return {
      file, sourceLines: [], ids: [], lineAt: () => 0,
      problems: doc.errors.map((e) => ({ file, line: lineOf(e.pos[0]), key: '', message: `YAML: ${e.message.split('\n')[0]}` })),
    };
  }
  // A file of nothing (0 bytes, blanks, comments, a bare null) is what an editor leaves half-way through a save, or a
  // truncated disk write; read as "no sources", it would empty the feeds. Saying "none" takes `sources: []`.
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return {
      file, sourceLines: [], ids: [], lineAt: () => 0,
      problems: [{ file, line: 0, key: '', message: 'the file is empty (or holds only comments); refused, since a file cut short while being saved reads the same. Write "sources: []" for a file that names no source' }],
    };
  }
  const raw = doc.toJS() ?? {};
  const ids = rawIds(raw, doc, lineOf);
  const lineAt = (path: (string | number)[]) => lineOf(nodeOffset(doc, path));
  const parsed = role === 'main' ? configSchema.safeParse(raw) : sourcesFileSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => problemsOf(issue, doc, file, lineOf, role, mainFile));
    return { file, sourceLines: [], ids, lineAt, problems };
  }
  const data: ConfigFile = role === 'main'
    ? parsed.data as ConfigFile
    : { ...configSchema.parse({}), sources: parsed.data.sources as SourceFileEntry[] };
  const sourceLines = data.sources.map((_, index) => lineOf(nodeOffset(doc, ['sources', index])));
  return { file, data, sourceLines, ids, lineAt, problems: [] };
}

type LineOf = (offset: number) => number;

function problemsOf(issue: z.core.$ZodIssue, doc: Document, file: string, lineOf: LineOf, role: FileRole, mainFile?: string): ConfigProblem[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      file,
      line: lineOf(keyOffset(doc, path, key)),
      key: [...path, key].join('.'),
      message: role === 'sources' && path.length === 0 && GLOBAL_KEYS.includes(key)
        ? `"${key}" may only be set in the main config file${mainFile ? ` (${mainFile})` : ''}; this file may hold only "sources:"`
        : `unknown key "${key}"${suggestKey(path)}`,
    }));
  }
  return [{ file, line: lineOf(nodeOffset(doc, path)), key: path.join('.'), message: issue.message }];
}

function suggestKey(path: (string | number)[]): string {
  const where = path.length === 0 ? 'at top level' : `under ${path.join('.')}`;
  return ` ${where} (check its spelling against the list of keys in docs/configuration.md)`;
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

function rawIds(raw: unknown, doc: Document, lineOf: LineOf): SourceIdLine[] {
  const sources = (raw as { sources?: unknown } | null)?.sources;
  if (!Array.isArray(sources)) return [];
  return sources.flatMap((source: unknown, index) => {
    const id = (source as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return [];
    return [{ id, line: lineOf(nodeOffset(doc, ['sources', index, 'id'])), key: `sources.${index}.id` }];
  });
}
