// The first module of every worker thread startWorker() starts: lowers the thread's CPU priority (priority.ts), then
// loads the worker's entry. A module file rather than code passed as a string: Node runs the process's --import
// preloads (an operator's instrumentation, a loader hook) in a worker started from a file, not in one started from
// a string. Only Node's own modules are imported here, so the priority is lowered before any package loads.
import { workerData } from 'node:worker_threads';
import { lowerPriority } from './priority.ts';

/** What startWorker passes a worker: its entry's URL and the nice value to run at. */
export interface WorkerBoot {
  entry: string;
  niceness?: number;
}

const boot = workerData as WorkerBoot;
lowerPriority(boot.niceness);
await import(boot.entry);
