// The CPU time of one thread (Linux: /proc/<pid>/task/<tid>/schedstat, nanoseconds on the CPU). The read workers run at
// a low priority: on a machine busy with other work they get little of a core, and a limit counted in wall time then
// failed documents that would have been read in a fraction of it (docs/development.md, "Tests"). Their limits count
// the CPU time they ran instead, as a hostile document is one that costs CPU, not one that waits for it.
import { readFileSync } from 'node:fs';

/** The calling thread's id (Linux), which another thread of the process passes to threadCpuMs; undefined elsewhere. */
export function ownThreadId(): number | undefined {
  try {
    const tid = Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ', 1)[0]);
    return Number.isInteger(tid) && tid > 0 && threadCpuMs(tid) !== undefined ? tid : undefined;
  } catch {
    return undefined;
  }
}

/** The CPU time thread `tid` of this process has run so far, in ms; undefined when it cannot be read (gone, not Linux). */
export function threadCpuMs(tid: number): number | undefined {
  try {
    const ns = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ', 1)[0]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** A clock of thread `tid`'s CPU time in ms, for a time budget (the last reading again if one fails). */
export function cpuClockOf(tid: number): () => number {
  let last = 0;
  return () => (last = threadCpuMs(tid) ?? last);
}
