// One fetch cycle through the real App in a fresh process, so its peak RSS is the cycle's own.
// Usage: tsx bench/ingest-cycle.ts CONFIG DATA_DIR; prints one JSON line.
import { App } from '../src/app.ts';
import { loadConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/log.ts';

const [configFile, dataDir] = process.argv.slice(2);
const config = await loadConfig(configFile!);
const openStart = performance.now();
const app = await App.open({ config, dataDir: dataDir!, logger: silentLogger() });
const openMs = performance.now() - openStart;
// Collect the garbage of opening (which renders every stored feed) now, so the cycle does not pay for it.
(globalThis as { gc?: () => void }).gc?.();
const rssBefore = process.memoryUsage().rss;
const cpuStart = process.cpuUsage();
const start = performance.now();
const report = await app.runCycle();
const wallMs = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
const result = {
  wallMs,
  /** user + system CPU of this process during the cycle: less sensitive than wall time to other load on the machine */
  cpuMs: (cpu.user + cpu.system) / 1000,
  openMs,
  sources: report.sources.length,
  ok: report.sources.filter((s) => s.status === 'ok').length,
  notModified: report.sources.filter((s) => s.status === 'not-modified').length,
  failed: report.sources.filter((s) => s.status === 'error').length,
  itemsSeen: report.sources.reduce((n, s) => n + (s.state.itemsSeen ?? 0) * (s.status === 'ok' ? 1 : 0), 0),
  added: report.added,
  rendered: report.rendered.length,
  written: report.written,
  rssBeforeMiB: rssBefore / 2 ** 20,
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
  firstError: report.sources.find((s) => s.error)?.error?.message,
};
await app.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
