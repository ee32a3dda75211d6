// Worker threads run at a lower CPU priority than the serving thread: on a machine with no core to spare, the
// requests go first and reading or rendering takes the time left (a cycle then lasts longer; nobody waits on it).
import { setPriority } from 'node:os';

export const NICENESS_ENV = 'TRIBUTARY_WORKER_NICENESS';

/**
 * The nice value of read and render workers: 19 (the CPU goes to the serving thread and everything else first), or
 * TRIBUTARY_WORKER_NICENESS (0 to 19) for an operator whose cycles must keep pace on a busy machine. Throws, naming
 * the variable, on any other value (nicenessProblem: the same check, for a command to refuse before it starts).
 */
export function defaultNiceness(env: NodeJS.ProcessEnv = process.env): number {
  const problem = nicenessProblem(env);
  if (problem) throw new Error(problem);
  const raw = env[NICENESS_ENV];
  return raw === undefined || raw === '' ? 19 : Number(raw);
}

/** Why TRIBUTARY_WORKER_NICENESS cannot be used, in one line; undefined when it can (or is unset). */
export function nicenessProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[NICENESS_ENV];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (Number.isInteger(value) && value >= 0 && value <= 19) return undefined;
  return `${NICENESS_ENV}=${raw}: the workers' nice value must be a whole number from 0 (the serving thread's priority) to 19 (the lowest)`;
}

/**
 * Raises the calling thread's nice value to `niceness`; called by worker-boot.ts before the worker's entry and its
 * packages load, as loading them is a worker's biggest burst: a read worker's packages took ~300 ms of CPU, at the
 * serving thread's priority when the entry lowered it only after its imports, and at a cycle's start (a pool of
 * workers starting at once on 2 cores) the serving thread waited 100 ms for a core (npm run bench -- serve,
 * BENCH_TRACE=1). On Linux the nice value belongs to each thread and 0 names the calling thread, so this lowers the
 * worker, never the serving thread; elsewhere it may lower the whole process, so it is done on Linux only.
 */
export function lowerPriority(niceness: number | undefined): void {
  if (!niceness || process.platform !== 'linux') return;
  try {
    setPriority(0, niceness);
  } catch {
    // Not permitted (a sandbox may forbid it): the worker runs at the serving thread's priority.
  }
}
