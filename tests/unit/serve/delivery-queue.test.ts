import { describe, expect, it } from 'vitest';
import { DeliveryQueue } from '../../../src/serve/websub/delivery-queue.ts';

/** A request that ends when the test says so. */
function gate(): { promise: Promise<boolean>; open: (ok: boolean) => void } {
  let open!: (ok: boolean) => void;
  const promise = new Promise<boolean>((resolve) => (open = resolve));
  return { promise, open };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('DeliveryQueue', () => {
  it('runs at most four requests at once and starts the next as one ends', async () => {
    const queue = new DeliveryQueue([], 4);
    const gates = Array.from({ length: 6 }, gate);
    const started: number[] = [];
    gates.forEach((g, i) => queue.add(() => {
      started.push(i);
      return g.promise;
    }, () => {}));
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    gates[2]!.open(true);
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    for (const g of gates) g.open(true);
    await queue.settled();
    expect(started).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('retries once per delay, then gives up and says so', async () => {
    const queue = new DeliveryQueue([0, 0]);
    const attempts: number[] = [];
    let gaveUp = false;
    queue.add(async (n) => {
      attempts.push(n);
      return false;
    }, () => (gaveUp = true));
    await queue.settled();
    expect(attempts).toEqual([1, 2, 3]);
    expect(gaveUp).toBe(true);
  });

  it('on close drops the retries still waiting and takes no more work', async () => {
    const queue = new DeliveryQueue([3_600_000]);
    const attempts: number[] = [];
    queue.add(async (n) => {
      attempts.push(n);
      return false;
    }, () => {});
    await settle();
    await queue.close(); // would otherwise wait an hour for attempt 2
    queue.add(async () => true, () => {});
    expect(attempts).toEqual([1]);
  });
});
