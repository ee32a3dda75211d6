// `tributary import-opml FILE`: a feed reader's subscription export -> feeds/imported.yaml, which the
// config directory then reads like any other sources file. Ids are fixed here, once, so later edits of
// the export's titles never rename a source.
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isMap, isSeq, parseDocument, type Document } from 'yaml';
import { ConfigError } from '../config/errors.ts';
import { buildConfig, listConfigFiles, type ConfigText } from '../config/load.ts';
import { feedUrlKey, parseOpml } from '../config/opml.ts';
import { sourceSchema } from '../config/schema.ts';
import { claimId, deriveSourceId } from '../config/source-ids.ts';
import { writeFileAtomic } from '../store/durable-file.ts';

export const IMPORT_FILE_NAME = 'imported.yaml';

export interface ImportedSource {
  id: string;
  url: string;
  title?: string;
  tags: string[];
}

export interface SkippedOutline {
  url: string;
  title?: string;
  line: number;
  reason: string;
}

export interface ImportResult {
  /** the file written, or that would have been written when nothing was new */
  file: string;
  added: ImportedSource[];
  skipped: SkippedOutline[];
}

/**
 * Adds the OPML's feeds that the config directory does not list yet (compared by URL, http and https
 * alike) to <dir>/imported.yaml. A feed listed in several folders becomes one source with every folder
 * as a tag. The whole directory is validated with the new file before it is written.
 */
export async function importOpml(opmlFile: string, configDir: string): Promise<ImportResult> {
  const opml = parseOpml(await readFile(opmlFile, 'utf8'), opmlFile);
  if (opml.problems.length > 0) throw new ConfigError(opml.problems);
  await mkdir(configDir, { recursive: true });
  const target = join(configDir, IMPORT_FILE_NAME);
  const existingTexts = await readAll(await listConfigFiles(configDir));
  const existing = existingTexts.length > 0 ? buildConfig(existingTexts).sources : [];

  const byUrl = new Map(existing.map((s) => [feedUrlKey(s.url), { id: s.id, imported: false }]));
  const taken = new Set(existing.map((s) => s.id));
  const added: ImportedSource[] = [];
  const skipped: SkippedOutline[] = [];
  for (const feed of opml.feeds) {
    const key = feedUrlKey(feed.url);
    const same = byUrl.get(key);
    const where = { url: feed.url, ...(feed.title ? { title: feed.title } : {}), line: feed.line };
    if (same && !same.imported) {
      skipped.push({ ...where, reason: `already configured as "${same.id}"` });
      continue;
    }
    if (same) {
      const source = added.find((s) => s.id === same.id)!;
      source.tags = [...new Set([...source.tags, ...feed.tags])];
      skipped.push({ ...where, reason: `listed again in the export; its folders were added as tags of "${same.id}"` });
      continue;
    }
    const candidate = { id: deriveSourceId(feed.name, feed.url), url: feed.url, ...(feed.title ? { title: feed.title } : {}), tags: feed.tags };
    const checked = sourceSchema.safeParse(candidate);
    if (!checked.success) {
      skipped.push({ ...where, reason: checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      continue;
    }
    const source = { ...candidate, id: claimId(candidate.id, taken) };
    byUrl.set(key, { id: source.id, imported: true });
    added.push(source);
  }
  if (added.length === 0) return { file: target, added, skipped };

  const previous = existingTexts.find((f) => f.file === target)?.text;
  const text = appendSources(previous, added, opmlFile);
  // Never write a file that would make the directory's config invalid.
  buildConfig([...existingTexts.filter((f) => f.file !== target), { file: target, text }]);
  await writeFileAtomic(target, text);
  return { file: target, added, skipped };
}

/** The config directory for a --config that names a file or a directory. */
export async function configDirectoryOf(configPath: string): Promise<string> {
  try {
    return (await stat(configPath)).isDirectory() ? configPath : dirname(configPath);
  } catch {
    return configPath;
  }
}

function appendSources(previous: string | undefined, sources: ImportedSource[], opmlFile: string): string {
  const doc: Document = previous !== undefined
    ? parseDocument(previous)
    : parseDocument(`# Sources imported by "tributary import-opml". Edit freely: ids are fixed, URLs already\n# listed anywhere in this directory are skipped on the next import.\nsources: []\n`);
  let list = doc.get('sources', true);
  if (!isSeq(list)) {
    doc.set('sources', doc.createNode([]));
    list = doc.get('sources', true);
  }
  if (!isSeq(list)) throw new Error('unreachable: sources was just set to a list');
  list.flow = false;
  sources.forEach((source, index) => {
    const node = doc.createNode({ id: source.id, url: source.url, ...(source.title ? { title: source.title } : {}), ...(source.tags.length ? { tags: source.tags } : {}) });
    if (isMap(node)) {
      const tags = node.get('tags', true);
      if (isSeq(tags)) tags.flow = true;
      if (index === 0) node.commentBefore = ` from ${opmlFile}`;
    }
    list.add(node);
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

async function readAll(files: string[]): Promise<ConfigText[]> {
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
}
