// One writer per data directory. Each process holds the store in memory and writes it whole, so two of them would
// write their copies over each other's: a `prune --now` undone by the service's next write, items a service stored
// lost to the prune's. `serve` and `prune` take data/writer.lock, which names the process. A lock whose process is
// gone (killed, a power cut) is taken over, so an unclean stop never keeps the service from starting again.
import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreLockedError } from './errors.ts';

export { StoreLockedError };

export const LOCK_FILE = 'writer.lock';

/** A lock file so new it may still be being written by its owner: not taken for stale while unreadable. */
const CREATING_MS = 5000;

interface Holder {
  pid: number;
  command: string;
  since: string;
}

export interface WriterLock {
  readonly file: string;
  /** false when the directory is not writable: nothing can be written there, by this process or another */
  readonly held: boolean;
  release(): void;
}

/** Takes the data directory for `command`; throws StoreLockedError while another live process holds it. */
export async function lockDataDir(dir: string, command: string, now = new Date()): Promise<WriterLock> {
  const file = join(dir, LOCK_FILE);
  const holder: Holder = { pid: process.pid, command, since: now.toISOString() };
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    if (isNotWritable(err)) return { file, held: false, release: () => {} };
    throw err;
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(`${JSON.stringify(holder)}\n`);
      } finally {
        await handle.close();
      }
      return heldLock(file);
    } catch (err) {
      if (isNotWritable(err)) return { file, held: false, release: () => {} };
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const other = await readHolder(file);
    if (other === 'creating' || (other && other.pid !== process.pid && isAlive(other.pid)) || attempt > 0) {
      throw new StoreLockedError(file, other && other !== 'creating' ? other : { pid: 0, command: '(starting)', since: now.toISOString() });
    }
    // Left by a process that is gone (or by this very pid in an earlier life, as pid 1 of a restarted container).
    await unlink(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

function heldLock(file: string): WriterLock {
  const release = () => {
    process.off('exit', release);
    try {
      // Only our own: a lock another process took over after ours was deemed stale stays.
      if ((JSON.parse(readFileSync(file, 'utf8')) as Holder).pid === process.pid) unlinkSync(file);
    } catch {
      // Gone already, or the directory became read-only: the next start finds our pid dead and takes the lock over.
    }
  };
  // An exit without release (a second signal exits at once) still frees the directory.
  process.once('exit', release);
  return { file, held: true, release };
}

async function readHolder(file: string): Promise<Holder | 'creating' | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, 'utf8')) as Partial<Holder>;
    if (typeof holder.pid === 'number' && Number.isInteger(holder.pid) && holder.pid > 0) {
      return { pid: holder.pid, command: String(holder.command ?? '?'), since: String(holder.since ?? '?') };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  }
  // Unreadable: being written this very moment, or a torn write of a process long gone.
  const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => Infinity);
  return age < CREATING_MS ? 'creating' : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isNotWritable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EACCES' || code === 'EPERM' || code === 'EROFS';
}
