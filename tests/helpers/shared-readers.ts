// One read pool for every App the test files of a vitest worker open. Each App would otherwise start its own read
// worker at its first cycle, and a worker's start (a fresh isolate loading the parser, cheerio and sanitize-html, under vitest through
// tsx) costs about two CPU-seconds: more than most tests' own work. Documents are still read on a worker thread,
// as the service reads them; a test that is about the pool's size or limits passes its own `readers`.
import { ReadPool } from '../../src/workers/read-pool.ts';

let pool: ReadPool | undefined;

/** The read pool of this module graph (one per vitest worker: see vitest.config.ts); App.close() leaves it open. */
export function sharedReaders(): ReadPool {
  pool ??= new ReadPool();
  return pool;
}
