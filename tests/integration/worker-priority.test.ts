// Read and render workers run at nice 19, set per thread by startWorker's bootstrap before the worker's modules
// load, while the serving thread (and every thread the process had before) keeps its own priority: on a machine
// with no core to spare, requests go first (workers/priority.ts). Real worker threads, in both the form tests run
// (TypeScript through tsx) and the compiled one the service runs (dist/).
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DocumentContext } from '../../src/read-document.ts';
import { defaultNiceness } from '../../src/workers/priority.ts';
import { ReadPool } from '../../src/workers/read-pool.ts';
import { startWorkersFromBundle } from '../../src/workers/start-worker.ts';
import { TEST_BUNDLE } from '../setup/compiled-workers.ts';
import { generatedRss } from '../helpers/generated-feed.ts';

/** The nice value of each thread of this process, by thread id (field 19 of /proc/self/task/TID/stat). */
function niceByThread(): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // the command name (field 2) may hold spaces: count fields after its closing parenthesis
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      nice.set(Number(tid), Number(fields[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return nice;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

const ctx = { sourceId: 'a', url: 'https://a.example.com/rss', documentUrl: 'https://a.example.com/rss', timezone: 'UTC', now: new Date('2026-12-01T00:00:00Z'), idAuthority: 'tributary.test' } as DocumentContext;

async function workerNices(Pool: typeof ReadPool, niceness?: number): Promise<{ before: Map<number, number>; after: Map<number, number> }> {
  const before = niceByThread();
  const pool = new Pool({ size: 2, idleMs: 3_600_000, ...(niceness === undefined ? {} : { niceness }) });
  closers.push(() => pool.close());
  const read = await Promise.all([pool.read(generatedRss('a', 3), ctx), pool.read(generatedRss('b', 3), ctx)]);
  expect(read.map((r) => r.items.length)).toEqual([3, 3]);
  return { before, after: niceByThread() };
}

describe.runIf(process.platform === 'linux')('worker priority', () => {
  it.each([
    ['from TypeScript', () => {
      // the suite's setup has in-process workers start from dist/bundle/: this case starts them from src/ through tsx
      startWorkersFromBundle(undefined);
      closers.push(async () => startWorkersFromBundle(TEST_BUNDLE));
      return Promise.resolve(ReadPool);
    }],
    ['started by the tests (dist/bundle/, as their setup asks)', () => Promise.resolve(ReadPool)],
    ['compiled (dist/)', async () => ((await import(new URL('../../dist/workers/read-pool.js', import.meta.url).href)) as { ReadPool: typeof ReadPool }).ReadPool],
  ])('read workers run at nice 19, %s, and no other thread of the process changes', async (_form, pool) => {
    // the product's default: the suite's setup sets TRIBUTARY_WORKER_NICENESS=10 for every other test
    const suites = process.env.TRIBUTARY_WORKER_NICENESS;
    delete process.env.TRIBUTARY_WORKER_NICENESS;
    closers.push(async () => {
      if (suites === undefined) delete process.env.TRIBUTARY_WORKER_NICENESS;
      else process.env.TRIBUTARY_WORKER_NICENESS = suites;
    });
    const { before, after } = await workerNices(await pool());
    const started = [...after].filter(([tid]) => !before.has(tid));
    expect(started.filter(([, nice]) => nice === 19).length).toBeGreaterThanOrEqual(2);
    for (const [tid, nice] of before) if (after.has(tid)) expect(after.get(tid), `thread ${tid}`).toBe(nice);
    expect(after.get(process.pid)).toBe(before.get(process.pid));
  });

  it('TRIBUTARY_WORKER_NICENESS sets the workers\' nice value, and a value out of 0-19 is refused naming the variable', async () => {
    const { before, after } = await workerNices(ReadPool);
    const started = [...after].filter(([tid]) => !before.has(tid));
    expect(process.env.TRIBUTARY_WORKER_NICENESS).toBe('10');
    expect(started.filter(([, nice]) => nice === 10).length).toBeGreaterThanOrEqual(2);
    for (const bad of ['20', '-1', '5.5', 'low']) {
      expect(() => defaultNiceness({ TRIBUTARY_WORKER_NICENESS: bad }), bad).toThrow(`TRIBUTARY_WORKER_NICENESS=${bad}: the workers' nice value must be a whole number from 0`);
    }
    expect(defaultNiceness({})).toBe(19);
    expect(defaultNiceness({ TRIBUTARY_WORKER_NICENESS: '0' })).toBe(0);
  });

  it('a niceness of 0 leaves the workers at the serving thread\'s priority', async () => {
    const { before, after } = await workerNices(ReadPool, 0);
    const started = [...after].filter(([tid]) => !before.has(tid));
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(started.every(([, nice]) => nice === before.get(process.pid))).toBe(true);
  });
});
