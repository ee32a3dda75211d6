// Loaded with `node --import` into a command the memory benchmark runs (bench/memory.ts): at exit, writes the
// process's peak RSS (getrusage ru_maxrss, what Linux shows as VmHWM) to the file named by BENCH_PEAK_FILE.
// Plain JavaScript, so it loads into the compiled CLI without tsx.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_PEAK_FILE;
if (file) process.on('exit', () => writeFileSync(file, JSON.stringify({ peakRssMiB: process.resourceUsage().maxRSS / 1024 })));
