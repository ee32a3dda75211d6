// Starts a worker thread whose entry lies beside this file, in this file's own form: <name>.js once compiled
// (dist/), <name>.ts from source, where the worker first registers tsx's loader (a worker does not inherit the
// parent's loader hooks). Either way the thread starts with worker-boot, which lowers its priority (priority.ts)
// before the entry's modules load.
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { WorkerBoot } from './worker-boot.ts';

/**
 * The young generation of a worker's heap, in MiB: 4 MiB semi-spaces (V8 sizes it at three semi-spaces) instead of
 * V8's 16 MiB. A render or read worker makes garbage fast (the text of feed documents) and keeps almost nothing; with
 * the default, what each scavenge still found in use (the document being written) was promoted and stayed until a
 * full collection: rendering 3,153 documents (100k items) grew the render worker's heap to 90 MiB with 7 MiB live,
 * all of it in the service's RSS; with this, 40 MiB. It only makes scavenges smaller and more frequent: what a worker
 * may hold (its old generation) is not limited by it, so no document or store is too big for it.
 */
export const WORKER_YOUNG_GENERATION_MB = 12;

let bundleInUse: URL | undefined;

/**
 * From now on, this module started from src/ starts the bundled workers of `bundle` (a built dist/bundle/), as the
 * compiled service does, instead of each worker loading src/ through tsx (1.2-1.8 CPU-s a start, 0.6 compiled);
 * undefined: from src/ again. The test suite's setup (tests/setup/compiled-workers.ts) calls it once its global setup
 * has built dist/. A module variable, not an environment variable, so that processes a test starts are not told.
 */
export function startWorkersFromBundle(bundle: URL | undefined): void {
  bundleInUse = bundle;
}

/** Starts the worker `name` at the nice value `niceness` (0 or absent: the serving thread's). */
export function startWorker(name: 'read-worker' | 'render-worker', options: WorkerOptions & { niceness?: number } = {}): Worker {
  const { niceness, ...rest } = options;
  const workerOptions: WorkerOptions = { ...rest, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB, ...rest.resourceLimits } };
  const ownExtension = extname(fileURLToPath(import.meta.url));
  if (ownExtension === '.ts' && bundleInUse) {
    const boot: WorkerBoot = { entry: new URL(`./${name}.js`, bundleInUse).href, ...(niceness ? { niceness } : {}) };
    return new Worker(new URL('./worker-boot.js', bundleInUse), { ...workerOptions, workerData: boot });
  }
  const boot: WorkerBoot = { entry: new URL(`./${name}${ownExtension}`, import.meta.url).href, ...(niceness ? { niceness } : {}) };
  const bootUrl = new URL(`./worker-boot${ownExtension}`, import.meta.url);
  if (ownExtension !== '.ts') return new Worker(bootUrl, { ...workerOptions, workerData: boot });
  const bootstrap = `import(${JSON.stringify(tsxApiUrl())}).then(({ register }) => { register(); return import(${JSON.stringify(bootUrl.href)}); })`;
  return new Worker(bootstrap, { ...workerOptions, workerData: boot, eval: true });
}

/** tsx's ESM register API (its CommonJS twin registers hooks that cannot find their module from a worker). */
function tsxApiUrl(): string {
  const resolved = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(resolved.replace(/\.cjs$/, '.mjs')).href;
}
