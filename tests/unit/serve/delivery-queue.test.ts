import { describe, expect, it } from 'vitest';
import { DeliveryQueue, type DeliveryQueueOptions } from '../../../src/serve/websub/delivery-queue.ts';

/** A request that ends when the test says so. */
function gate(): { promise: Promise<boolean>; open: (ok: boolean) => void } {
  let open!: (ok: boolean) => void;
  const promise = new Promise<boolean>((resolve) => (open = resolve));
  return { promise, open };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const queueOf = (options: Partial<DeliveryQueueOptions> = {}) => new DeliveryQueue({ retryDelaysMs: [], maxInFlight: 4, perHost: 4, ...options });

describe('DeliveryQueue', () => {
  it('runs at most four requests at once and starts the next as one ends', async () => {
    const queue = queueOf();
    const gates = Array.from({ length: 6 }, gate);
    const started: number[] = [];
    gates.forEach((g, i) => queue.add({
      host: 'a.example',
      attempt: () => {
        started.push(i);
        return g.promise;
      },
    }));
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2]!.open(true);
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    for (const g of gates) g.open(true);
    await queue.settled();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('serves hosts in turn, at most perHost requests to one host: a host queued first cannot hold every slot', async () => {
    const queue = queueOf({ maxInFlight: 3, perHost: 1 });
    const started: string[] = [];
    const dead = gate(); // never opened before the others ran: a callback that does not answer
    for (let i = 0; i < 200; i++) queue.add({ host: 'dead.example', attempt: () => (started.push('dead'), dead.promise) });
    for (const host of ['b.example', 'c.example', 'b.example']) queue.add({ host, attempt: async () => (started.push(host), true) });
    for (let i = 0; i < 5; i++) await settle();
    expect(started.filter((h) => h === 'dead')).toHaveLength(1);
    expect(started.filter((h) => h !== 'dead')).toEqual(['b.example', 'c.example', 'b.example']);
    dead.open(true);
    await queue.settled();
    expect(started.filter((h) => h === 'dead')).toHaveLength(200);
  });

  it('retries once per delay, then gives up and says so', async () => {
    const queue = queueOf({ retryDelaysMs: [0, 0] });
    const attempts: number[] = [];
    let gaveUp = false;
    queue.add({
      host: 'a.example',
      attempt: async (n) => {
        attempts.push(n);
        return false;
      },
      onGiveUp: () => (gaveUp = true),
    });
    await queue.settled();
    expect(attempts).toEqual([1, 2, 3]);
    expect(gaveUp).toBe(true);
  });

  it('merges a task into a waiting one of the same key, and takes it anew once that one has started', async () => {
    const queue = queueOf({ maxInFlight: 1 });
    const blocker = gate();
    const runs: string[] = [];
    queue.add({ host: 'a.example', attempt: () => blocker.promise });
    expect(queue.add({ host: 'b.example', key: 'k', attempt: async () => (runs.push('first'), true) })).toBe(true);
    expect(queue.add({ host: 'b.example', key: 'k', attempt: async () => (runs.push('merged'), true) })).toBe(true);
    expect(queue.size.queued).toBe(1);
    blocker.open(true);
    await queue.settled();
    expect(runs).toEqual(['first']);
  });

  it('on close starts no queued task, drops sleeping retries, aborts the requests in flight at the deadline, and counts what is left', async () => {
    const queue = queueOf({ retryDelaysMs: [3_600_000], maxInFlight: 1 });
    let aborted = false;
    const attempts: string[] = [];
    queue.add({ host: 'a.example', attempt: async () => (attempts.push('failing'), false) }); // then sleeps an hour
    await settle();
    queue.add({
      host: 'b.example',
      attempt: (_n, signal) => new Promise<boolean>((resolve) => {
        attempts.push('hanging');
        signal.addEventListener('abort', () => {
          aborted = true;
          resolve(false);
        });
      }),
    });
    queue.add({ host: 'c.example', attempt: async () => (attempts.push('queued'), true) });
    await settle();
    const started = Date.now();
    const unfinished = await queue.close(50);
    expect(Date.now() - started).toBeLessThan(5_000); // not an hour, not forever
    expect(aborted).toBe(true);
    expect(attempts).toEqual(['failing', 'hanging']);
    expect(unfinished).toBe(3); // the sleeping retry, the aborted request, the queued one
    expect(queue.add({ host: 'd.example', attempt: async () => true })).toBe(false);
  });
});
