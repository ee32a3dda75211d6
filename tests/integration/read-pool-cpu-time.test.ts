// The read workers run at a low priority, so the pool's time limit counts the CPU time a worker spent on a document,
// not the wall time: on a busy machine a low-priority worker waits for the CPU, and that waiting is not the
// document's cost. A worker starved for good still ends its document at WALL_FACTOR times the limit.
import { afterEach, describe, expect, it } from 'vitest';
import { ReadLimitError } from '../../src/workers/read-errors.ts';
import { ReadPool, WALL_FACTOR } from '../../src/workers/read-pool.ts';
import { ownThreadId, threadCpuMs } from '../../src/workers/thread-time.ts';
import { generatedRss } from '../helpers/generated-feed.ts';

const ctx = {
  sourceId: 'huge', url: 'http://feeds.example/huge.xml', documentUrl: 'http://feeds.example/huge.xml', timezone: 'UTC',
  now: new Date('2026-12-07T00:00:00Z'), idAuthority: 'tributary.example,2026',
};
// 60,000 items take seconds of CPU to read here (12,000 took under a second): past every limit below
const huge = generatedRss('huge', 60_000);
const LIMIT_MS = 200;

let pool: ReadPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

async function timedRead(readers: ReadPool, beforeBig = () => {}): Promise<{ err: unknown; ms: number }> {
  // a small document first, so the worker is started and its thread id known before the clock of the big one runs
  await readers.read(generatedRss('small', 2), { ...ctx, sourceId: 'small', trackingParams: () => false } as never);
  beforeBig();
  const start = performance.now();
  const err = await readers.read(huge, ctx as never).then(() => undefined, (e: unknown) => e);
  return { err, ms: performance.now() - start };
}

describe.runIf(process.platform === 'linux')('read pool time limit: CPU time of the worker', () => {
  it('reads a thread\'s CPU time: it grows while the thread works, not while it sleeps', () => {
    const tid = ownThreadId();
    expect(tid).toBeGreaterThan(0);
    const before = threadCpuMs(tid!)!;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    const slept = threadCpuMs(tid!)! - before;
    expect(slept).toBeLessThan(50);
    const spinStart = threadCpuMs(tid!)!;
    const deadline = performance.now() + 10_000;
    while (threadCpuMs(tid!)! - spinStart < 100 && performance.now() < deadline);
    expect(threadCpuMs(tid!)! - spinStart).toBeGreaterThanOrEqual(100);
  });

  it('a worker that gets no CPU keeps its document until the wall-time bound, then it is dropped as over the limit', async () => {
    // The CPU time read for the worker never grows: as a worker at nice 19 beside busy processes may see for a while.
    // The worker itself runs at the serving thread's priority (niceness 0): at nice 19 beside four busy processes even
    // the small first document took more than the 1.2 s wall-time bound, which is the bound working, not this test.
    pool = new ReadPool({ size: 1, timeLimitMs: LIMIT_MS, cpuTimeOf: () => 1_000, niceness: 0 });
    const { err, ms } = await timedRead(pool);
    expect(err).toBeInstanceOf(ReadLimitError);
    expect((err as ReadLimitError).limit).toBe('time');
    expect(ms).toBeGreaterThanOrEqual(LIMIT_MS * WALL_FACTOR - 20);
  }, 60_000);

  it('a worker that spends the limit in CPU time is stopped then: its CPU time, not the wall-time bound, ended the document', async () => {
    // The worker's CPU time as the pool reads it, every reading kept. At the serving thread's priority (niceness 0)
    // the worker gets its share of a core beside the rest of the suite, so it reaches the limit long before 6x of it.
    const readings: number[] = [];
    const cpuTimeOf = (tid: number) => {
      const ms = threadCpuMs(tid);
      if (ms !== undefined) readings.push(ms);
      return ms;
    };
    pool = new ReadPool({ size: 1, timeLimitMs: LIMIT_MS, cpuTimeOf, niceness: 0 });
    const { err, ms } = await timedRead(pool, () => (readings.length = 0));
    expect(err).toBeInstanceOf(ReadLimitError);
    expect((err as ReadLimitError).limit).toBe('time');
    expect(ms).toBeGreaterThanOrEqual(LIMIT_MS - 20);
    // the first reading is the document's start, the last the check that dropped it: the limit's worth of CPU between
    expect(readings.length).toBeGreaterThanOrEqual(2);
    expect(readings[readings.length - 1]! - readings[0]!).toBeGreaterThanOrEqual(LIMIT_MS);
  }, 60_000);
});
