import { copyFile, mkdir, readdir, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { copyFileAtomic, linkOrCopy, readJsonFile, syncDirectory } from './durable-file.ts';
import { StoreCorruptError } from './errors.ts';
import { migrateStore, type MigratedStore } from './migrate.ts';

/** Rotated backups are named for the time the file was saved, so names sort oldest to newest. */
const ROTATED = /^store-\d{4}-\d\d-\d\dT[\d-]+(\.\d+)?Z\.json$/;

/**
 * data/backups/: the last `keep` store files that were replaced by a newer write. Each was written and
 * fsynced by us and is a file of its own (the old inode, linked before the rename), so damage to the
 * current store.json cannot reach it.
 */
export class BackupSet {
  readonly dir: string;
  keep: number;
  constructor(dir: string, keep: number) {
    this.dir = dir;
    this.keep = keep;
  }

  /** Keeps the current `file`, saved at `savedAt`, as a backup before it is replaced. */
  async preserve(file: string, savedAt: string): Promise<void> {
    if (this.keep === 0) return;
    await mkdir(this.dir, { recursive: true });
    try {
      await linkOrCopy(file, join(this.dir, `store-${savedAt.replace(/:/g, '-')}.json`));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // nothing written yet
      throw err;
    }
    await syncDirectory(this.dir);
  }

  /** Deletes rotated backups beyond `keep`, oldest first; returns the names removed. */
  async prune(): Promise<string[]> {
    const names = await this.#rotated();
    const excess = names.slice(0, Math.max(0, names.length - this.keep));
    for (const name of excess) await unlink(join(this.dir, name));
    return excess;
  }

  /** Paths of the rotated backups, newest first. */
  async list(): Promise<string[]> {
    return (await this.#rotated()).reverse().map((name) => join(this.dir, name));
  }

  /** A copy outside the rotation, e.g. of a file about to be migrated to a newer schema. */
  async keepCopy(file: string, name: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const target = join(this.dir, name);
    await copyFile(file, target);
    await syncDirectory(this.dir);
    return target;
  }

  async #rotated(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((name) => ROTATED.test(name)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}

export interface Recovery {
  /** where the unreadable store file was moved */
  movedTo: string;
  /** the backup the store was restored from; none when no backup was readable */
  restoredFrom?: string;
  /** backups that were tried and found unreadable too */
  skipped: string[];
  loaded?: MigratedStore;
}

/**
 * --recover: moves the unreadable `file` aside to <file>.corrupt-<time> (never deleting it) and puts a copy
 * of the newest readable backup in its place.
 */
export async function recoverStore(file: string, backups: BackupSet, now: Date): Promise<Recovery> {
  const movedTo = `${file}.corrupt-${now.toISOString().replace(/:/g, '-')}`;
  await rename(file, movedTo);
  const skipped: string[] = [];
  for (const backup of await backups.list()) {
    let loaded: MigratedStore;
    try {
      // Read as store.json is: a backup is an earlier store.json, of either layout.
      loaded = await migrateStore(await readJsonFile(backup, { itemLines: true }), backup);
    } catch (err) {
      if (err instanceof StoreCorruptError) {
        skipped.push(basename(backup));
        continue;
      }
      throw err;
    }
    // The backup's own bytes, not the migrated data: open() keeps a copy of an older version before migrating.
    await copyFileAtomic(backup, file);
    return { movedTo, restoredFrom: backup, skipped, loaded };
  }
  return { movedTo, skipped };
}
