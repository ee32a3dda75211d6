// dist/ is a link to the newest build, a generation: ROOT/.dist-<16 hex digits>/, written once and never changed.
// A process started from dist/ runs the generation dist/ named at its start: Node loads a module by its real path,
// so the lazy imports of a running process (a bundle chunk loaded when a command first needs it) and the worker
// entries it starts resolve inside that generation's directory, whatever a later build does. A build writes a new
// generation and repoints dist/ (renaming a link over a link: atomic, a start sees the old build or the new one);
// the generation it replaced is removed by a later build, once no process registered in it is alive.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const GENERATION = /^\.dist-[0-9a-f]{16}$/;
/** Written into a generation when a build first sees it replaced; its mtime says when. */
const RETIRED = '.retired';
/** One empty file per process that runs a generation, named by its pid (removed at its exit). */
const USERS = '.users';
/**
 * How long a replaced generation stays whatever its users: a process may have resolved dist/ but not registered yet
 * (a few milliseconds), and processes that load dist/ modules without ensureBuilt() (bench children) do not register.
 */
const GRACE_MS = 60_000;

/** The directory of a new generation under root (not created). */
export function newGeneration(root) {
  return join(root, `.dist-${randomBytes(8).toString('hex')}`);
}

/** Points root/dist at a finished generation. */
export function pointDistAt(root, generation) {
  const dist = join(root, 'dist');
  const link = join(root, `.dist-link-${process.pid}-${randomBytes(4).toString('hex')}`);
  symlinkSync(basename(generation), link);
  try {
    renameSync(link, dist);
  } catch (err) {
    if (err.code !== 'EISDIR' && err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') {
      rmSync(link, { force: true });
      throw err;
    }
    // dist/ is a directory, built before generations existed: moved aside and removed, once.
    const old = `${link}-old`;
    renameSync(dist, old);
    renameSync(link, dist);
    rmSync(old, { recursive: true, force: true });
  }
  // A build running beside this one may have seen this generation finished but not yet linked, and retired it.
  rmSync(join(generation, RETIRED), { force: true });
}

/**
 * Removes the generations dist/ no longer names that were replaced GRACE_MS ago or more and that no live process
 * runs. A replaced generation is marked the first time a build sees it, so it outlives at least that build.
 * `complete` names the file a generation holds once its build finished (one still being built is left alone).
 */
export function pruneGenerations(root, complete) {
  let current;
  try {
    current = readlinkSync(join(root, 'dist'));
  } catch {
    return;
  }
  for (const name of readdirSync(root)) {
    if (!GENERATION.test(name) || name === current) continue;
    const dir = join(root, name);
    if (!existsSync(join(dir, complete))) continue;
    let retired;
    try {
      retired = statSync(join(dir, RETIRED)).mtimeMs;
    } catch {
      writeFileSync(join(dir, RETIRED), '');
      continue;
    }
    if (Date.now() - retired >= GRACE_MS && !inUse(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

/** true while a process registered in the generation is alive (EPERM: alive, another user's) */
function inUse(dir) {
  let pids;
  try {
    pids = readdirSync(join(dir, USERS));
  } catch {
    return false;
  }
  return pids.some((pid) => {
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch (err) {
      return err.code === 'EPERM';
    }
  });
}

/** The generations this process recorded itself in (ensureBuilt() may be called more than once). */
const registered = new Set();

/**
 * Records this process as running the generation until it exits. A process killed by a signal leaves its file:
 * the pid is then dead (or, reused, keeps the generation a while longer), which only delays the removal. In a
 * checkout this user cannot write nothing is recorded: the generation's owner may remove it under this process.
 */
export function registerUser(generation) {
  if (registered.has(generation)) return;
  registered.add(generation);
  const file = join(generation, USERS, String(process.pid));
  try {
    mkdirSync(join(generation, USERS), { recursive: true });
    writeFileSync(file, '');
  } catch {
    return;
  }
  process.once('exit', () => {
    try {
      rmSync(file, { force: true });
    } catch {
      // left for the liveness check: this pid is dead from now on
    }
  });
}
