// How long this process's own work held its event loop: the longest gap between two ticks of a 2 ms timer,
// counting only the time the main thread actually ran in that gap (Linux: /proc/self/task/<pid>/schedstat).
// A timer gap alone (monitorEventLoopDelay) also counts the time the kernel gave the CPU to other processes, which
// on a 2-core machine shared with other test runs reaches hundreds of ms whatever the code does.
import { threadCpuMs } from '../../src/workers/thread-time.ts';

export interface LoopHold {
  /** longest hold by this thread's own work, in ms (wall time where the thread's run time cannot be read) */
  maxMs: number;
  /** longest timer gap, in ms, whatever held it */
  maxWallMs: number;
}

/** the main thread's id is the process id */
const mainThreadRanMs = () => threadCpuMs(process.pid);

/** Starts watching; the returned function stops and tells the longest hold. */
export function watchLoopHold(): () => LoopHold {
  let maxMs = 0;
  let maxWallMs = 0;
  let last = performance.now();
  let lastRan = mainThreadRanMs();
  const timer = setInterval(() => {
    const now = performance.now();
    const ran = mainThreadRanMs();
    const wall = now - last;
    maxWallMs = Math.max(maxWallMs, wall);
    maxMs = Math.max(maxMs, ran !== undefined && lastRan !== undefined ? Math.min(wall, ran - lastRan) : wall);
    last = now;
    lastRan = ran;
  }, 2);
  return () => {
    clearInterval(timer);
    return { maxMs, maxWallMs };
  };
}
