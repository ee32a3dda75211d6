import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';

/**
 * A lowdb adapter that writes JSON durably: a temp file beside the target, fsync, rename over the target,
 * fsync of the directory. lowdb's own JSONFile (via steno) renames without fsync, so a power cut can leave an
 * empty file; a crash here leaves either the old file or the new one, never a torn one.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly file: string;
  #seq = 0;
  constructor(file: string) {
    this.file = file;
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new StoreCorruptError(this.file, (err as Error).message);
    }
    // lowdb treats a falsy result as "no file" and would write over it on the next commit.
    if (typeof data !== 'object' || data === null) throw new StoreCorruptError(this.file, 'not a JSON object');
    return data as T;
  }

  async write(data: T): Promise<void> {
    const temp = join(dirname(this.file), `.${basename(this.file)}.${process.pid}.${++this.#seq}.tmp`);
    const handle = await open(temp, 'w', 0o644);
    try {
      await handle.writeFile(JSON.stringify(data), 'utf8');
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw err;
    }
    await handle.close();
    try {
      await rename(temp, this.file);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
    await syncDirectory(dirname(this.file));
  }
}

async function syncDirectory(dir: string): Promise<void> {
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

/** The store file exists but is not readable JSON of ours; it is never overwritten. */
export class StoreCorruptError extends Error {
  readonly file: string;
  constructor(file: string, detail: string) {
    super(`store file ${file} is corrupt (${detail}); it was left untouched. Move it aside or restore a backup, then start again.`);
    this.name = 'StoreCorruptError';
    this.file = file;
  }
}
