// The machine's own stalls, seen from a process that needs almost no CPU. This 2-core machine is a virtual one, and
// its hypervisor now and then takes a core, or both, away for about 100 ms (the "steal" column of /proc/stat grows
// meanwhile; a thread on a taken core just stops, and the kernel, which still counts it as running, moves it
// nowhere). The probe wakes every 5 ms at the highest priority it may take (nice -20 as root), so no process of this
// machine keeps it from running, and records a stall when it woke more than 30 ms late (no process ran at all) or
// when a core's steal grew 30 ms or more since its last wake. A bench that measures the worst latency of a service
// reports the answers that waited through such a stall apart, beside the plain figure.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** A stall: from and to in ms since the epoch (performance.timeOrigin + performance.now()). */
export interface Stall {
  from: number;
  to: number;
}

const PROBE = `
const { readFileSync } = require('node:fs');
const stalls = [];
const now = () => performance.timeOrigin + performance.now();
// each core's steal in ticks of 10 ms (USER_HZ 100), from the cpuN lines of /proc/stat
const steals = () => {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\\n').filter((l) => /^cpu\\d/.test(l)).map((l) => Number(l.split(/\\s+/)[8]));
  } catch {
    return [];
  }
};
let last = now();
let lastSteals = steals();
setInterval(() => {
  const t = now();
  const s = steals();
  // a core's steal is counted when it gets its core back, all at once: the stall was the time just before
  const stolen = Math.max(0, ...s.map((v, i) => v - (lastSteals[i] ?? v))) * 10;
  if (t - last > 30 || stolen >= 30) stalls.push({ from: Math.min(last, t - stolen), to: t });
  last = t;
  lastSteals = s;
}, 5);
process.on('message', () => process.send(stalls, () => process.exit(0)));
`;

/** CPU time the hypervisor took from this machine since boot, in ms (all cores), or undefined off Linux. */
export function stealMs(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    return (Number(fields[8]) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

export function startStallProbe(): { stop(): Promise<{ stalls: Stall[]; stealMs?: number }> } {
  const child = spawn(process.execPath, ['-e', PROBE], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  try {
    if (child.pid) setPriority(child.pid, -20);
  } catch {
    // not root: the probe runs at the default priority, and a busy machine may delay it too (stalls overstated)
  }
  const steal = stealMs();
  return {
    stop: () => new Promise((resolve, reject) => {
      child.once('message', (stalls) => {
        const after = stealMs();
        resolve({ stalls: stalls as Stall[], ...(steal !== undefined && after !== undefined ? { stealMs: after - steal } : {}) });
      });
      child.once('exit', (code) => reject(new Error(`the stall probe exited ${code}`)));
      child.send('stop');
    }),
  };
}

/** Whether the interval [from, to] overlaps one of `stalls`. */
export function overlapsStall(stalls: readonly Stall[], from: number, to: number): boolean {
  return stalls.some((s) => s.from < to && s.to > from);
}
