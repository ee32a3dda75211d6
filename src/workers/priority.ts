// Worker threads run at a lower CPU priority than the serving thread: on a machine with no core to spare, the
// requests go first and reading or rendering takes the time left (a cycle then lasts longer; nobody waits on it).

/**
 * The first statement of a worker thread (startWorker's bootstrap, before the entry and its packages load): raises
 * the thread's nice value to `niceness`. On Linux the nice value belongs to each thread and 0 names the calling
 * thread, so this lowers the worker, never the serving thread; elsewhere it may lower the whole process, so it is
 * done on Linux only. It comes first because loading a worker's modules is its biggest burst: a read worker's
 * packages took ~300 ms of CPU to load, at the serving thread's priority when the entry lowered it only after its
 * imports, and at a cycle's start (a pool of workers starting at once on 2 cores) the serving thread waited 100 ms
 * for a core (npm run bench -- serve, BENCH_TRACE=1).
 */
export function lowerPriorityStatement(niceness: number | undefined): string {
  if (!niceness) return '';
  // Not permitted (a sandbox may forbid it): the worker runs at the serving thread's priority.
  return `if (process.platform === 'linux') { try { require('node:os').setPriority(0, ${Math.trunc(niceness)}); } catch {} }\n`;
}
