// Fetch leases and host politeness shared by instances on one real PostgreSQL database (tests/setup/postgres.ts).
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PgLeases } from '../../src/store/pg/leases.ts';
import { migrate } from '../../src/store/pg/migrate.ts';
import { freshDatabase } from '../helpers/pg.ts';

const pools: pg.Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end()));
});

/** `count` instances, each with its own pool, as separate processes would have. */
async function instances(label: string, count: number): Promise<PgLeases[]> {
  const url = await freshDatabase(label);
  const made = Array.from({ length: count }, (_, k) => {
    const pool = new pg.Pool({ connectionString: url, max: 3 });
    pools.push(pool);
    return new PgLeases(pool, `instance-${k}`);
  });
  await migrate(pools[pools.length - count]!);
  return made;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fetch leases on PostgreSQL', () => {
  it('hands 300 due sources to three instances asking at once, each source to exactly one', async () => {
    const [a, b, c] = await instances('leases_split', 3);
    const ids = Array.from({ length: 300 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    await a!.sync(ids);
    await Promise.all(pools.map((p) => p.query('SELECT 1'))); // connected before the race starts
    const taken = new Map<string, string[]>();
    await Promise.all([a!, b!, c!].map(async (inst) => {
      for (;;) {
        const got = await inst.takeDue(3, 60_000);
        if (got.length === 0) return;
        for (const lease of got) taken.set(lease.sourceId, [...(taken.get(lease.sourceId) ?? []), inst.holder]);
      }
    }));
    expect([...taken.keys()].sort()).toEqual(ids);
    for (const [id, holders] of taken) expect(holders, id).toHaveLength(1);
    // every instance got work: nobody waited on another's locked rows
    expect(new Set([...taken.values()].flat()).size).toBe(3);
  });

  it('does not hand out a source again before its next due time, and does once it is due', async () => {
    const [a, b] = await instances('leases_due', 2);
    await a!.sync(['x', 'y']);
    expect((await a!.takeDue(10, 60_000)).map((l) => l.sourceId)).toEqual(['x', 'y']);
    expect(await b!.takeDue(10, 60_000)).toEqual([]);
    expect(await a!.release('x', new Date(Date.now() + 3_600_000))).toBe(true);
    expect(await a!.release('y', new Date(Date.now() - 1000))).toBe(true);
    expect((await b!.takeDue(10, 60_000)).map((l) => l.sourceId)).toEqual(['y']);
    expect(await a!.held()).toEqual([]);
    expect(await b!.held()).toEqual(['y']);
  });

  it('lets another instance take the source of a holder that stopped renewing, once its lease expired', async () => {
    const [dead, alive] = await instances('leases_steal', 2);
    await dead!.sync(['x']);
    expect(await dead!.takeDue(10, 300)).toEqual([{ sourceId: 'x' }]);
    expect(await alive!.takeDue(10, 60_000)).toEqual([]);
    await sleep(450);
    expect(await alive!.takeDue(10, 60_000)).toEqual([{ sourceId: 'x', stolenFrom: 'instance-0' }]);
    // the old holder's late result is not the latest word on the source
    expect(await dead!.release('x', new Date())).toBe(false);
    expect(await alive!.held()).toEqual(['x']);
  });

  it('keeps a renewed lease past its first expiry', async () => {
    const [a, b] = await instances('leases_renew', 2);
    await a!.sync(['x']);
    await a!.takeDue(10, 300);
    await sleep(150);
    expect(await a!.renew(['x'], 60_000)).toEqual(['x']);
    await sleep(300);
    expect(await b!.takeDue(10, 60_000)).toEqual([]);
  });

  it('forgets sources no longer configured and adds new ones as due', async () => {
    const [a] = await instances('leases_sync', 1);
    await a!.sync(['x', 'y']);
    await a!.sync(['y', 'z']);
    expect((await a!.takeDue(10, 60_000)).map((l) => l.sourceId)).toEqual(['y', 'z']);
  });
});

describe('host politeness across instances', () => {
  it('spaces requests to one host by perMinute over all instances together', async () => {
    const insts = await instances('hosts_rate', 3);
    // 600 a minute: one every 100 ms, whichever instance asks
    const slots = await Promise.all(insts.flatMap((inst) => [0, 1, 2].map(() => inst.reserveHostSlot('news.example', 600))));
    const starts = slots.map((s) => s.startAt.getTime()).sort((x, y) => x - y);
    expect(starts).toHaveLength(9);
    // The first asks waits for nothing; every later start is at least 100 ms after the one before it, exactly 100
    // when the asks came together, more when a busy machine spread them (a slot is never reserved in the past).
    expect(slots.filter((s) => s.waitMs === 0).length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!, `slot ${i}`).toBeGreaterThanOrEqual(100);
    expect(starts[8]! - starts[0]!).toBeGreaterThanOrEqual(800);
    expect((await insts[0]!.reserveHostSlot('other.example', 600)).waitMs).toBe(0);
  });

  it('holds every instance back while a host\'s Retry-After pause lasts', async () => {
    const [a, b] = await instances('hosts_pause', 2);
    await a!.pauseHost('busy.example', new Date(Date.now() + 2000));
    const { waitMs: wait } = await b!.reserveHostSlot('busy.example', 60);
    expect(wait).toBeGreaterThan(1500);
    expect(wait).toBeLessThanOrEqual(2100);
  });
});
