import { copyFile, link, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { StoreCorruptError, StoreReadError } from './errors.ts';
import { itemLines, readItemLines } from './item-lines.ts';
import { jsonChunks } from './json-chunks.ts';

export { StoreCorruptError, StoreReadError };

export interface DurableFileOptions {
  /** runs after the new content is safely on disk and before it replaces the file, e.g. to keep a backup */
  beforeReplace?: (file: string) => Promise<void>;
  /**
   * write the `items` array last, one item per line, and read a file of that layout as a stream
   * (src/store/item-lines.ts); for data/store.json, the one big file
   */
  itemLines?: boolean;
  /** with itemLines, given each item of a file of that layout as it is parsed (see readItemLines) */
  eachItem?: (item: unknown) => void;
  /** the new file's permission bits (before the umask); default 0o644 */
  mode?: number;
}

/**
 * A lowdb adapter that writes JSON durably: a temp file beside the target, fsync, rename over the target,
 * fsync of the directory. lowdb's own JSONFile (via steno) renames without fsync, so a power cut can leave an
 * empty file; a crash here leaves either the old file or the new one, never a torn one.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly file: string;
  readonly #options: DurableFileOptions;
  constructor(file: string, options: DurableFileOptions = {}) {
    this.file = file;
    this.#options = options;
  }

  async read(): Promise<T | null> {
    try {
      return (await readJsonFile(this.file, { itemLines: this.#options.itemLines, eachItem: this.#options.eachItem })) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async write(data: T): Promise<void> {
    await writeFileAtomic(this.file, this.#options.itemLines ? itemLines(data) : jsonChunks(data), this.#options.beforeReplace, this.#options.mode);
  }
}

/**
 * The JSON object in `file`; StoreCorruptError naming the file when it is not one, StoreReadError naming it
 * when reading fails (ENOENT aside, which means no file). With itemLines, a file of that layout is read line
 * by line; any other is read whole, as before, so a file of an older release (or a damaged one) reads, or
 * fails with the parse error, exactly as it always did.
 */
export async function readJsonFile(
  file: string, options: { itemLines?: boolean | undefined; eachItem?: ((item: unknown) => void) | undefined } = {},
): Promise<object> {
  let streamed: Record<string, unknown> | undefined;
  let text: string;
  try {
    streamed = options.itemLines ? await readItemLines(file, options.eachItem) : undefined;
    if (streamed) return streamed;
    text = await readFile(file, 'utf8');
  } catch (err) {
    // ENOENT means "no file yet" to the caller; any other failure is the disk's, told with the file's name.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    throw new StoreReadError(file, err);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StoreCorruptError(file, (err as Error).message);
  }
  // null (or any non-object) means "no file" to lowdb, which would then start empty and overwrite this one.
  if (typeof value !== 'object' || value === null) throw new StoreCorruptError(file, value === null ? 'the file holds null' : 'not a JSON object');
  return value;
}

let seq = 0;

/**
 * Replaces `file` with `text` (or its pieces, in order) so that a reader (or a crash) sees the old content or
 * the new, never a mix. The temp file is created with `mode`, so a file of secrets is never readable by others,
 * not even between the rename and a chmod.
 */
export async function writeFileAtomic(
  file: string, text: string | Buffer | Iterable<string> | AsyncIterable<Buffer>, beforeReplace?: (file: string) => Promise<void>, mode = 0o644,
): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${++seq}.tmp`);
  const handle = await open(temp, 'w', mode);
  try {
    // On an open handle, each writeFile continues where the last one ended.
    for await (const piece of typeof text === 'string' || Buffer.isBuffer(text) ? [text] : text) await handle.writeFile(piece, 'utf8');
    await handle.sync();
    await handle.close();
    await beforeReplace?.(file);
    await rename(temp, file);
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDirectory(dirname(file));
}

/**
 * Deletes temp files a killed writer left beside `file`. Only at open, before this process writes, so a
 * temp file carrying our own pid is stale too (in a container every run is pid 1); one of a live process
 * (another Tributary on the same data dir) is left alone.
 */
export async function removeStaleTemps(file: string): Promise<string[]> {
  const prefix = `.${basename(file)}.`;
  const removed: string[] = [];
  for (const name of await readdir(dirname(file))) {
    const pid = name.startsWith(prefix) && name.endsWith('.tmp') ? Number(name.slice(prefix.length).split('.')[0]) : NaN;
    if (!Number.isInteger(pid) || (pid !== process.pid && isAlive(pid))) continue;
    try {
      await unlink(join(dirname(file), name));
      removed.push(name);
    } catch {
      // A read-only data directory: the leftover is harmless (never read) and the next start tries again.
    }
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A second name for the file's current content, without copying a byte (the rename leaves the old inode to it). */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Same name, same savedAt: the same file, linked by a write that was killed before its rename.
    if (code === 'EEXIST') return;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    await copyFile(from, to);
  }
}

/** Replaces `file` with a copy of `from`, as writeFileAtomic would with its content. */
export async function copyFileAtomic(from: string, file: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${++seq}.tmp`);
  try {
    await copyFile(from, temp);
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDirectory(dirname(file));
}

export async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic there.
  }
}
