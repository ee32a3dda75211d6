// Starts a worker thread whose entry lies beside this file, in this file's own form: <name>.js once compiled
// (dist/), <name>.ts from source, where the worker first registers tsx's loader (a worker does not inherit the
// parent's loader hooks).
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(name: 'read-worker' | 'render-worker', options: WorkerOptions = {}): Worker {
  const ownExtension = extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./${name}${ownExtension}`, import.meta.url);
  if (ownExtension !== '.ts') return new Worker(entry, options);
  const loader = tsxApiUrl();
  const bootstrap = `import(${JSON.stringify(loader)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** tsx's ESM register API (its CommonJS twin registers hooks that cannot find their module from a worker). */
function tsxApiUrl(): string {
  const resolved = createRequire(import.meta.url).resolve('tsx/esm/api');
  return pathToFileURL(resolved.replace(/\.cjs$/, '.mjs')).href;
}
