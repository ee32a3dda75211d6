// Store errors name the file, and say what the operator can do about it.

/** The store file exists but is not readable JSON of ours; it is never overwritten. */
export class StoreCorruptError extends Error {
  readonly file: string;
  constructor(file: string, detail: string) {
    super(`store file ${file} is corrupt (${detail}); it was left untouched. Start with --recover to move it aside and continue from the newest good backup in ${backupsHint(file)}, or restore a file yourself.`);
    this.name = 'StoreCorruptError';
    this.file = file;
  }
}

/** A store written by a newer release (or a version no migration leads from); treated like a corrupt one. */
export class StoreVersionError extends StoreCorruptError {
  readonly version: unknown;
  constructor(file: string, version: unknown, readable: number[]) {
    super(file, `schema version ${JSON.stringify(version)} is not one this release reads (it reads ${readable.join(', ')}); a newer Tributary may have written it`);
    this.name = 'StoreVersionError';
    this.version = version;
  }
}

/**
 * Reading a store file failed (a disk error, a directory in its place): not a sign the file is damaged, so it
 * is neither moved aside by --recover nor written over; the next start reads it again.
 */
export class StoreReadError extends Error {
  readonly file: string;
  readonly code: string | undefined;
  constructor(file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    super(`cannot read store file ${file}: ${(cause as Error)?.message ?? cause}; it was left untouched. Check the disk and the file, then start again.`, { cause });
    this.name = 'StoreReadError';
    this.file = file;
    this.code = code;
  }
}

/** Writing the store failed: nothing was replaced, memory was rolled back to the last good write. */
export class StoreWriteError extends Error {
  readonly file: string;
  readonly code: string | undefined;
  constructor(file: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    super(`cannot write store ${file}: ${(cause as Error)?.message ?? cause}${hint(code)}; the previous file is intact and the next cycle tries again`, { cause });
    this.name = 'StoreWriteError';
    this.file = file;
    this.code = code;
  }
}

function hint(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return ' (the data directory is not writable: check its owner, mode and mount)';
  if (code === 'ENOSPC' || code === 'EDQUOT') return ' (the disk is full: free space)';
  return '';
}

function backupsHint(file: string): string {
  return file.replace(/[^/\\]+$/, 'backups/');
}

/** Another live process (a `tributary serve`, a `prune`) holds the data directory: two writers would undo each other. */
export class StoreLockedError extends Error {
  readonly file: string;
  readonly pid: number;
  readonly command: string;
  constructor(file: string, holder: { pid: number; command: string; since: string }) {
    super(`the data directory ${file.replace(/[/\\][^/\\]+$/, '')} is in use by "tributary ${holder.command}" (pid ${holder.pid}, since ${holder.since}): stop it first. If no such process runs any more, delete ${file}.`);
    this.name = 'StoreLockedError';
    this.file = file;
    this.pid = holder.pid;
    this.command = holder.command;
  }
}
