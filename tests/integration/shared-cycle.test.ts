// Three instances fetching from one PostgreSQL (a real server, tests/setup/postgres.ts) through real HTTP sources on
// 127.0.0.1: every due source is fetched by exactly one of them (counted at the fixture server), every item is
// stored once, a story two sources carry is stored once with the other in its alsoIn, nothing is fetched again
// before it is due, and the sources of an instance that died holding leases are taken by another once they expire.
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/log.ts';
import type { Item } from '../../src/model.ts';
import { RuleTagging } from '../../src/rules/tagger.ts';
import { SharedCycle } from '../../src/shared-cycle.ts';
import { siteContext } from '../../src/site-context.ts';
import { PgLeases } from '../../src/store/pg/leases.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { generatedRss } from '../helpers/generated-feed.ts';
import { freshDatabase } from '../helpers/pg.ts';

const SOURCES = 24;
const ITEMS = 5;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** The same story, under the same link, in two sources' feeds. */
const SHARED_STORY = `<item><title>两会召开 Two sessions open</title><link>https://news.example.cn/2026/lianghui.html</link>
  <guid>SHARED-STORY</guid><pubDate>Sat, 05 Dec 2026 08:00:00 GMT</pubDate></item>`;

async function fixtures() {
  const server = await new FixtureServer().start();
  closers.push(() => server.stop());
  for (let i = 0; i < SOURCES; i++) {
    const body = generatedRss(`s${i}`, ITEMS).replace('</channel>', i < 2 ? `${SHARED_STORY}</channel>` : '</channel>');
    server.routes.set(`/s${i}.xml`, { headers: { 'content-type': 'application/rss+xml; charset=utf-8' }, body });
  }
  // Due once a year: with the default */15 a source fetched just before a quarter hour is due again just after it,
  // and a test running across one fetched it twice (once in a full run).
  const config = parseConfig(`title: Shared
baseUrl: http://tributary.test
defaults:
  schedule: "0 0 1 1 *"
fetch:
  concurrency: 4
  allowPrivateRedirects: true
sources:
${Array.from({ length: SOURCES }, (_, i) => `  - id: s${i}\n    url: ${server.url(`/s${i}.xml`)}\n    tags: [${i % 2 ? 'odd' : 'even'}]`).join('\n')}
`, 'sources.yaml');
  return { server, config };
}

async function instance(url: string, name: string, config: ReturnType<typeof parseConfig>, leaseMs?: number) {
  const store = await PgStore.open({ url, pool: 4 });
  closers.push(() => store.close());
  const leases = new PgLeases(store.pool, name);
  const tags = siteContext(config, {}, [], new RuleTagging()).tags;
  const cycle = new SharedCycle({
    config: () => config, store, leases, tags, logger: createLogger('silent'), userAgent: () => 'Tributary-test',
    ...(leaseMs ? { leaseMs } : {}),
  });
  closers.push(() => cycle.close());
  return { store, leases, cycle };
}

const fetchedPaths = (server: FixtureServer) => server.requests.map((r) => r.path).sort();

describe('SharedCycle: instances sharing one PostgreSQL store', () => {
  it('fetches each due source exactly once over three instances, stores every item once, and a shared story once', async () => {
    const { server, config } = await fixtures();
    const url = await freshDatabase('shared_cycle');
    const instances = await Promise.all(['a', 'b', 'c'].map((name) => instance(url, name, config)));
    const reports = await Promise.all(instances.map((i) => i.cycle.run()));

    expect(fetchedPaths(server)).toEqual(Array.from({ length: SOURCES }, (_, i) => `/s${i}.xml`).sort());
    const fetchedBy = reports.map((r) => r.sources.map((s) => s.outcome.sourceId));
    expect(fetchedBy.flat().sort()).toEqual(Array.from({ length: SOURCES }, (_, i) => `s${i}`).sort());
    // The work was shared: with four in flight per instance, no instance could take everything in its first batch.
    expect(fetchedBy.filter((ids) => ids.length > 0).length).toBeGreaterThan(1);
    expect(reports.flatMap((r) => r.sources).every((s) => s.outcome.status === 'ok')).toBe(true);

    const { store } = instances[0]!;
    expect(await store.count()).toBe(SOURCES * ITEMS + 1);
    const shared = (await store.pool.query<{ item: Item }>(`SELECT item FROM tributary_items WHERE item->>'link' = 'https://news.example.cn/2026/lianghui.html'`)).rows;
    expect(shared).toHaveLength(1);
    const other = shared[0]!.item.sourceId === 's0' ? 's1' : 's0';
    expect(shared[0]!.item.alsoIn).toEqual([other]);
    // Found by dedupe when the other source's write came first, or at write time when both raced: joined at most once.
    expect(reports.reduce((n, r) => n + r.joined, 0)).toBeLessThanOrEqual(1);
    // tags kept with each row for the tag feeds: an odd source's items under "odd", the shared story under both
    const tagged = (await store.pool.query<{ tags: string[] }>(`SELECT tags FROM tributary_items WHERE id = $1`, [shared[0]!.item.id])).rows[0]!;
    expect(tagged.tags.sort()).toEqual(['even', 'odd']);
    // every source's state written, with its validators and next due time
    expect(Object.keys(await store.sourceStates())).toHaveLength(SOURCES);

    // Nothing is due again before its schedule: a second pass fetches nothing.
    const before = server.requests.length;
    const again = await Promise.all(instances.map((i) => i.cycle.run()));
    expect(again.flatMap((r) => r.sources)).toEqual([]);
    expect(server.requests.length).toBe(before);
  });

  it('leases a new source as each fetch ends: a slow source holds one of fetch.concurrency slots, not its batch', async () => {
    const server = await new FixtureServer().start();
    closers.push(() => server.stop());
    const fast = ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'];
    for (const id of fast) server.routes.set(`/${id}.xml`, { headers: { 'content-type': 'application/rss+xml' }, body: generatedRss(id, 2) });
    // The slow source (leased first: "a-slow" sorts before the others) answers once every fast source was asked
    // for, or after 20 s. Leased a batch at a time, the fast sources after the first would wait for it.
    let fastAskedWhenSlowAnswered = -1;
    server.routes.set('/a-slow.xml', (_req, res) => {
      const started = Date.now();
      const answer = () => {
        const asked = server.requests.filter((r) => fast.some((id) => r.path === `/${id}.xml`)).length;
        if (asked < fast.length && Date.now() - started < 20_000) return void setTimeout(answer, 20);
        fastAskedWhenSlowAnswered = asked;
        const body = generatedRss('a-slow', 2);
        res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      };
      answer();
    });
    const config = parseConfig(`title: Shared
baseUrl: http://tributary.test
fetch:
  concurrency: 2
  hostConcurrency: 2
  allowPrivateRedirects: true
sources:
${['a-slow', ...fast].map((id) => `  - id: ${id}\n    url: ${server.url(`/${id}.xml`)}`).join('\n')}
`, 'sources.yaml');
    const url = await freshDatabase('shared_cycle_window');
    const { cycle, store } = await instance(url, 'only', config);
    const report = await cycle.run();
    // Leased first, it is fetched in the first pair (fetch.concurrency 2); which of the pair's two requests reaches the
    // server first is a race between two sockets (f1 first once in a full run).
    expect(server.requests.slice(0, 2).map((r) => r.path)).toContain('/a-slow.xml');
    expect(fastAskedWhenSlowAnswered).toBe(fast.length);
    expect(report.sources.map((s) => s.outcome.sourceId).sort()).toEqual(['a-slow', ...fast]);
    expect(report.sources.every((s) => s.outcome.status === 'ok')).toBe(true);
    expect(await store.count()).toBe(14);
  });

  it('takes the sources of an instance that died holding their leases once the leases run out', async () => {
    const { server, config } = await fixtures();
    const url = await freshDatabase('shared_cycle_steal');
    const dead = await instance(url, 'dead', config);
    await dead.leases.sync(config.sources.map((s) => s.id));
    // It leased five sources for a minute and was killed before fetching them: no release, no renewal.
    const lost = (await dead.leases.takeDue(5, 60_000)).map((l) => l.sourceId);
    expect(lost).toHaveLength(5);
    const alive = await instance(url, 'alive', config);
    const first = await alive.cycle.run();
    expect(first.sources.map((s) => s.outcome.sourceId).filter((id) => lost.includes(id))).toEqual([]);
    expect(first.sources).toHaveLength(SOURCES - 5);
    // The minute passes (moved in the database rather than waited for, so a busy machine cannot change the outcome).
    await alive.store.pool.query(`UPDATE tributary_leases SET expires_at = now() - interval '1 second' WHERE holder = 'dead'`);
    const second = await alive.cycle.run();
    expect(second.sources.map((s) => s.outcome.sourceId).sort()).toEqual([...lost].sort());
    expect(second.sources.every((s) => s.stolenFrom === 'dead')).toBe(true);
    expect(fetchedPaths(server)).toEqual(Array.from({ length: SOURCES }, (_, i) => `/s${i}.xml`).sort());
  });

  it('leases for store.leaseSeconds: a dead instance\'s sources are fetched by another once that time has passed', async () => {
    const { server } = await fixtures();
    const config = parseConfig(`title: Shared
baseUrl: http://tributary.test
store:
  kind: postgres
  leaseSeconds: 5
defaults:
  schedule: "0 0 1 1 *"
fetch:
  concurrency: 4
  hostConcurrency: 8
  allowPrivateRedirects: true
sources:
${Array.from({ length: SOURCES }, (_, i) => `  - id: s${i}\n    url: ${server.url(`/s${i}.xml`)}`).join('\n')}
`, 'sources.yaml');
    const url = await freshDatabase('shared_cycle_lease_seconds');
    // The instance that dies: its fetches hang (a request in flight when it is killed), then its connections go,
    // so it neither renews nor hands back the leases (nor the host slots) it took. Its lease length comes from the
    // config alone. hostConcurrency 8 leaves the living instance four slots of the host meanwhile.
    const abort = new AbortController();
    const deadStore = await PgStore.open({ url, pool: 2 });
    const hung: string[] = [];
    const dead = new SharedCycle({
      config: () => config, store: deadStore, leases: new PgLeases(deadStore.pool, 'dead'), tags: () => [],
      logger: createLogger('silent'), userAgent: () => 'Tributary-test', signal: abort.signal,
      fetch: ((input: string) => {
        hung.push(String(input));
        return new Promise((_, reject) => abort.signal.addEventListener('abort', () => reject(new Error('killed'))));
      }) as never,
    });
    closers.push(async () => {
      abort.abort();
      await dead.close();
    });
    void dead.run().catch(() => {});
    const started = Date.now();
    while (hung.length < 4) {
      if (Date.now() - started > 20_000) throw new Error(`the dead instance started ${hung.length} fetches`);
      await sleep(50);
    }
    await deadStore.close();
    const alive = await instance(url, 'alive', config);
    const { rows } = await alive.store.pool.query<{ source_id: string; left_ms: number }>(
      `SELECT source_id, extract(epoch FROM expires_at - now()) * 1000 AS left_ms FROM tributary_leases WHERE holder = 'dead' ORDER BY 1`,
    );
    const lost = rows.map((r) => r.source_id);
    expect(lost).toHaveLength(4);
    // 5 s from the moment they were taken, not the default 300 s.
    for (const row of rows) expect(Number(row.left_ms), row.source_id).toBeLessThanOrEqual(5_000);
    const expiry = Date.now() + Math.max(...rows.map((r) => Number(r.left_ms)));
    const first = await alive.cycle.run();
    expect(first.sources.map((s) => s.outcome.sourceId).filter((id) => lost.includes(id))).toEqual([]);
    // Before the leases run out the sources stay with the dead instance; after, the next pass takes every one.
    const stolen: string[] = [];
    while (stolen.length < lost.length) {
      const before = Date.now();
      const pass = await alive.cycle.run();
      const ids = pass.sources.map((s) => s.outcome.sourceId);
      if (ids.length > 0) {
        expect(before, 'taken before the lease ran out').toBeGreaterThanOrEqual(expiry - 1_000);
        expect(pass.sources.every((s) => s.stolenFrom === 'dead')).toBe(true);
        stolen.push(...ids);
      }
      if (Date.now() > expiry + 20_000) break;
      await sleep(250);
    }
    expect(stolen.sort()).toEqual([...lost].sort());
    // The dead instance's four requests held four of the host's eight slots (all instances together): freed with its leases.
    expect((await alive.store.pool.query('SELECT count(*)::int AS n FROM tributary_host_slots WHERE expires_at >= now()')).rows[0].n).toBe(0);
    expect(new Set(fetchedPaths(server))).toEqual(new Set(Array.from({ length: SOURCES }, (_, i) => `/s${i}.xml`)));
    expect(fetchedPaths(server)).toHaveLength(SOURCES);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
