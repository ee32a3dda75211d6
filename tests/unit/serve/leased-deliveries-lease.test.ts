// How long a shared hub's instance holds a delivery it took: its request timeout and LEASE_MARGIN_MS, so a killed
// instance's delivery is taken over that long after its last renewal (tests/integration/shared-websub-hub.test.ts
// kills an instance whose lease is set shorter, to see the take-over itself within seconds).
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.ts';
import { DeliveryQueue } from '../../../src/serve/websub/delivery-queue.ts';
import { LEASE_MARGIN_MS, LeasedDeliveries, type DeliveryLeases } from '../../../src/serve/websub/leased-deliveries.ts';

function leasesTaken(leaseMs?: number): Promise<number> {
  return new Promise((resolve) => {
    const leases: DeliveryLeases = {
      take: async (_limit, ms) => {
        resolve(ms);
        return [];
      },
      content: async () => new Map(),
      hold: async () => true,
      finish: async () => {},
      retryIn: async () => {},
      release: async () => {},
    };
    const deliveries = new LeasedDeliveries({
      leases, queue: new DeliveryQueue({ retryDelaysMs: [], maxInFlight: 1, perHost: 1 }), hubUrl: 'http://tributary.test/websub', retryDelaysMs: [], now: () => new Date(), log: createLogger('silent'),
      outbound: { fetch: () => Promise.reject(new Error('no request is made here')), timeoutMs: 3_000, userAgent: 'test' }, ...(leaseMs ? { leaseMs } : {}),
    });
    void deliveries.deliver();
  });
}

describe('LeasedDeliveries: the lease on a delivery', () => {
  it('is the request timeout and a 15 s margin by default', async () => {
    expect(LEASE_MARGIN_MS).toBe(15_000);
    expect(await leasesTaken()).toBe(18_000);
  });

  it('is what the instance was given otherwise', async () => {
    expect(await leasesTaken(5_000)).toBe(5_000);
  });
});
