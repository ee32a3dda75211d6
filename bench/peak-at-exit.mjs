// Loaded with `node --import` into a command the memory benchmark runs (bench/memory.ts): at exit, writes the
// process's peak RSS (getrusage ru_maxrss, what Linux shows as VmHWM) and the CPU time it used to the file named by
// BENCH_PEAK_FILE. Plain JavaScript, so it loads into the compiled CLI without tsx.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_PEAK_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ peakRssMiB: usage.maxRSS / 1024, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6 }));
  });
}
