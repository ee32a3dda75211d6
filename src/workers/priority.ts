// Worker threads run at a lower CPU priority than the serving thread: on a machine with no core to spare, the
// requests go first and reading or rendering takes the time left (a cycle then lasts longer; nobody waits on it).
import { setPriority } from 'node:os';

/**
 * Raises the calling thread's nice value to `niceness`. On Linux the nice value belongs to each thread and 0 names
 * the calling thread, so this lowers the worker, never the serving thread; elsewhere it may lower the whole process,
 * so it is done on Linux only.
 */
export function lowerPriority(niceness: number | undefined): void {
  if (!niceness || process.platform !== 'linux') return;
  try {
    setPriority(0, niceness);
  } catch {
    // Not permitted (a sandbox may forbid it): the worker runs at the serving thread's priority.
  }
}
