// `tributary import-opml FILE`: runs the import (import-opml.ts) and prints what was added and skipped.
import type { CommonOptions } from './common-options.ts';
import { configDirectoryOf, importOpml } from './import-opml.ts';
import { reportStartError } from './start-error.ts';
import { usageError } from './usage.ts';

export async function importOpmlCommand(opmlFile: string, common: CommonOptions): Promise<number> {
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
