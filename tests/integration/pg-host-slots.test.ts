// Host politeness over several instances on one PostgreSQL (a real server, tests/setup/postgres.ts), with real HTTP
// sources on 127.0.0.1: fetch.hostConcurrency counts the requests of all instances together (the fixture server
// sees no more in flight at once), a slot of a killed instance frees itself when it expires, and a host paused by
// a Retry-After is not asked by any instance until the pause ends: its sources are given back, due at the end.
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import { RuleTagging } from '../../src/rules/tagger.ts';
import { SharedCycle } from '../../src/shared-cycle.ts';
import { siteContext } from '../../src/site-context.ts';
import { PgHostSlots } from '../../src/store/pg/host-slots.ts';
import { PgLeases } from '../../src/store/pg/leases.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { generatedRss } from '../helpers/generated-feed.ts';
import { freshDatabase } from '../helpers/pg.ts';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function openStore(url: string): Promise<PgStore> {
  const store = await PgStore.open({ url, pool: 4 });
  closers.push(() => store.close());
  return store;
}

async function instance(url: string, name: string, config: () => ReturnType<typeof parseConfig>) {
  const store = await openStore(url);
  const leases = new PgLeases(store.pool, name);
  const cycle = new SharedCycle({
    config, store, leases, tags: siteContext(config(), {}, [], new RuleTagging()).tags, logger: createLogger('silent'), userAgent: () => 'Tributary-test',
  });
  closers.push(() => cycle.close());
  return { store, leases, cycle };
}

function configFor(server: FixtureServer, ids: string[], hostConcurrency: number) {
  return parseConfig(`title: Hosts
baseUrl: http://tributary.test
fetch:
  concurrency: 4
  hostConcurrency: ${hostConcurrency}
  allowPrivateRedirects: true
sources:
${ids.map((id) => `  - id: ${id}\n    url: ${server.url(`/${id}.xml`)}`).join('\n')}
`, 'sources.yaml');
}

describe('host slots on PostgreSQL', () => {
  it('hands out at most `limit` slots of a host over all holders, frees a given-back slot, and an expired one', async () => {
    const store = await openStore(await freshDatabase('host_slots'));
    const [a, b, c] = ['a', 'b', 'c'].map((name) => new PgHostSlots(store.pool, name));
    const asked = await Promise.all([a!, b!, c!, a!, b!, c!].map((slots) => slots.take('news.example', 2, 60_000, AbortSignal.timeout(1_500))));
    expect(asked.filter((s) => s !== undefined).sort()).toEqual([0, 1]);
    // another host has slots of its own
    expect((await c!.tryTake('other.example', 2, 60_000)).slot).toBeDefined();
    const holderOf0 = [a!, b!, c!, a!, b!, c!][asked.indexOf(0)]!;
    await holderOf0.give('news.example', 0);
    expect((await c!.tryTake('news.example', 2, 60_000)).slot).toBe(0);
    expect(await a!.tryTake('news.example', 2, 60_000)).toEqual({ raced: false });

    // A holder that died: its short slot expires and another takes it; the dead one's late give-back leaves it be.
    await a!.tryTake('slow.example', 1, 200);
    expect((await b!.tryTake('slow.example', 1, 60_000)).slot).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await b!.tryTake('slow.example', 1, 60_000)).slot).toBe(0);
    await a!.give('slow.example', 0);
    expect((await c!.tryTake('slow.example', 1, 60_000)).slot).toBeUndefined();
  });

  it('keeps fetch.hostConcurrency over two instances together: no more requests in flight to the host than it allows', async () => {
    const server = await new FixtureServer().start();
    closers.push(() => server.stop());
    const ids = Array.from({ length: 8 }, (_, i) => `h${i}`);
    let inFlight = 0;
    let most = 0;
    for (const id of ids) {
      server.routes.set(`/${id}.xml`, (_req, res) => {
        most = Math.max(most, ++inFlight);
        setTimeout(() => {
          inFlight--;
          const body = generatedRss(id, 2);
          res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        }, 150);
      });
    }
    const config = configFor(server, ids, 1);
    const url = await freshDatabase('host_slots_cycle');
    const [one, two] = await Promise.all(['one', 'two'].map((name) => instance(url, name, () => config)));
    const reports = await Promise.all([one!.cycle.run(), two!.cycle.run()]);
    // every source fetched once, by one of the two, both of which fetched
    expect(reports.flatMap((r) => r.sources.map((s) => s.outcome.sourceId)).sort()).toEqual([...ids].sort());
    expect(reports.every((r) => r.sources.length > 0)).toBe(true);
    expect(server.requests.map((r) => r.path).sort()).toEqual(ids.map((id) => `/${id}.xml`).sort());
    expect(most).toBe(1);
    // every slot given back
    expect((await one!.store.pool.query('SELECT count(*)::int AS n FROM tributary_host_slots')).rows[0].n).toBe(0);
  });

  it('does not ask a host another instance saw answer 503 with Retry-After until the pause ends; its sources are due then', async () => {
    const server = await new FixtureServer().start();
    closers.push(() => server.stop());
    server.routes.set('/busy.xml', { status: 503, headers: { 'retry-after': '120', 'content-type': 'text/plain' }, body: 'busy' });
    for (const id of ['q1', 'q2']) server.routes.set(`/${id}.xml`, { headers: { 'content-type': 'application/rss+xml' }, body: generatedRss(id, 2) });
    const url = await freshDatabase('host_slots_pause');
    const first = configFor(server, ['busy'], 2);
    const a = await instance(url, 'a', () => first);
    const seen = await a.cycle.run();
    expect(seen.sources.map((s) => s.outcome.error?.message ?? 'ok')).toEqual([expect.stringContaining('503')]);

    const later = configFor(server, ['q1', 'q2'], 2);
    const b = await instance(url, 'b', () => later);
    const before = server.requests.length;
    const report = await b.cycle.run();
    expect(server.requests.length).toBe(before);
    expect(report.sources).toEqual([]);
    expect(report.skipped.map((s) => s.sourceId).sort()).toEqual(['q1', 'q2']);
    for (const s of report.skipped) {
      const waits = new Date(s.until).getTime() - Date.now();
      expect(waits).toBeGreaterThan(100_000);
      expect(waits).toBeLessThanOrEqual(121_000);
    }
    // given back due at the pause's end: a pass now takes nothing
    expect((await b.cycle.run()).skipped).toEqual([]);
    expect(server.requests.length).toBe(before);
  });
});
