// Tributary as the serve-during-a-cycle benchmark loads it: the real App over a prepared data directory, listening on
// 127.0.0.1 in this process, its sources on a fixture server. It fetches only when the parent sends "cycle"; then it
// answers how long the cycle took and how long the event loop was held meanwhile (what every request waited).
// BENCH_TRACE=1 prints every hold of the loop over 40 ms (BENCH_TRACE=N: over N ms), with how much of it this thread
// ran (the rest: the kernel gave the CPU to others). Usage: tsx bench/serve-cycle-target.ts CONFIG DATA_DIR
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout } from 'node:timers/promises';
import { App } from '../src/app.ts';
import { loadConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';
import { peakRssMiB, serveParent } from './child.ts';

export interface CycleRun {
  cycleMs: number;
  sources: number;
  failed: number;
  firstError?: string;
  added: number;
  rendered: number;
  /** the longest the event loop was held during the cycle, and its 99th percentile, in ms */
  loopMaxMs: number;
  loopP99Ms: number;
  peakRssMiB: number;
}

const [configFile, dataDir] = process.argv.slice(2);
const app = await App.open({ config: await loadConfig(configFile!), dataDir: dataDir!, logger: silentLogger() });

process.on('message', (message) => {
  if (message !== 'cycle') return;
  void runCycle().then((run) => process.send!({ cycle: run }));
});

async function runCycle(): Promise<CycleRun> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const started = performance.now();
  const report = await app.runCycle(undefined, { force: true });
  const cycleMs = performance.now() - started;
  // A hold at the very end of the cycle is recorded only when the monitor's timer fires after it.
  await setTimeout(20);
  delay.disable();
  const failed = report.sources.filter((s) => s.status === 'error');
  return {
    cycleMs, sources: report.sources.length, failed: failed.length, ...(failed[0] ? { firstError: failed[0].error?.message } : {}),
    added: report.added, rendered: report.rendered.length,
    loopMaxMs: delay.max / 1e6, loopP99Ms: delay.percentile(99) / 1e6, peakRssMiB: peakRssMiB(),
  };
}

serveParent(await app.listen(0, '127.0.0.1'), () => app.close());
if (process.env.BENCH_TRACE) {
  const { threadCpuMs } = await import('../src/workers/thread-time.ts');
  const ran = () => threadCpuMs(process.pid) ?? 0;
  let last = performance.now();
  let lastRan = ran();
  const t0 = performance.now();
  const over = Number(process.env.BENCH_TRACE) > 1 ? Number(process.env.BENCH_TRACE) : 40;
  setInterval(() => {
    const now = performance.now();
    const r = ran();
    if (now - last > over) process.stderr.write(`lag ${(now - last).toFixed(0)} ms (ran ${(r - lastRan).toFixed(0)} ms) at +${((now - t0) / 1000).toFixed(2)} s (abs ${(now / 1000).toFixed(3)})\n`);
    last = now;
    lastRan = r;
  }, 10).unref();
}
