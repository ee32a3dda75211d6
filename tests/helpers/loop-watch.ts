// How long this process's event loop was held, told apart from how long it merely waited for a core.
//
// The event loop's delay (perf_hooks' monitorEventLoopDelay) is wall time: on a 2-core machine running other test
// files and their child services at once, the kernel can leave this thread off a core for 100 ms while nothing in it
// runs. What a test of "no request holds the loop for N ms" means is work done on the loop, so each gap between two
// ticks is also measured in the main thread's own CPU time (Linux: /proc/self/task/<pid>/stat, utime + stime, in
// clock ticks of 10 ms). A gap counts as held for the smaller of the two: the thread cannot have run longer than it
// had a core, nor longer than the wall clock. Garbage collection on the main thread is CPU time and counts.
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux: /proc reports CPU time in 10 ms ticks

/** The main thread's CPU time so far in ms, at the kernel's 10 ms resolution. */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'latin1');
  // Fields after the command name (which may contain spaces) start at the last ')'; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

export interface LoopReport {
  /** the longest gap between two ticks in wall time (what monitorEventLoopDelay reports, plus the tick interval) */
  maxGapMs: number;
  /** the longest gap counted as held: min(wall, main-thread CPU) */
  maxHeldMs: number;
  /** ticks observed */
  ticks: number;
  describe(): string;
}

/** Ticks every `intervalMs` until stop() and reports the longest gaps. */
export function watchLoop(intervalMs = 2): { stop(): LoopReport } {
  let lastWall = performance.now();
  let lastCpu = mainThreadCpuMs();
  let maxGapMs = 0;
  let maxHeldMs = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const wall = performance.now();
    const cpu = mainThreadCpuMs();
    const gap = wall - lastWall - intervalMs;
    maxGapMs = Math.max(maxGapMs, gap);
    maxHeldMs = Math.max(maxHeldMs, Math.min(gap, cpu - lastCpu));
    lastWall = wall;
    lastCpu = cpu;
    ticks += 1;
  }, intervalMs);
  return {
    stop(): LoopReport {
      clearInterval(timer);
      return {
        maxGapMs,
        maxHeldMs,
        ticks,
        describe: () => `event loop held at most ${maxHeldMs.toFixed(1)} ms (main-thread CPU within a gap), `
          + `longest gap ${maxGapMs.toFixed(1)} ms wall, ${ticks} ticks`,
      };
    },
  };
}
