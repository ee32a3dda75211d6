// The fault test of issue 16: three `tributary serve` instances on one database; in each round every source has
// new items and is due, and once part of the sources are fetched one instance (the one holding the most leases) is
// killed with SIGKILL and a new one started in its place. After each round: no item lost (every source holds every
// item its feed listed so far), none stored twice, every source the killed instance held fetched again once its
// lease expired (store.leaseSeconds) and no later than one pass after that, and every instance answers a reader's
// If-None-Match of another instance's ETag with 304.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import type { PgCluster } from '../tests/helpers/pg-cluster.ts';
import { benchSources } from './items.ts';
import { readerGet, sleep, startInstance, type FixtureChild, type Instance } from './pg-processes.ts';
import { connect, dueAgain, finished, storedCounts, waitFor, writeSiteConfig } from './pg-site.ts';
import type { BenchRow } from './report.ts';

export interface FaultOptions {
  sources: number;
  rounds: number;
  leaseSeconds: number;
  concurrency: number;
}

/** the instances' wait between two fetch passes (shared-app.ts passEveryMs) */
const PASS_MS = 10_000;
/** a taken-over source's fetch, on a busy machine */
const FETCH_SLACK_MS = 5_000;
/** where in the cycle the kill comes: after this share of the sources was requested, round by round */
const KILL_AT = [0.25, 0.5, 0.75];
const PATHS = ['/feeds/latest.atom', '/feeds/tags/tag-00.rss', '/feeds/sources/source-1.json', '/'];

export interface FaultRound {
  round: number;
  /** sources the killed instance held when it died */
  held: number;
  /** ms after the lease's expiry that the last of them was requested again (negative: none was held) */
  lateMs: number;
  /** sources requested twice in the round (only those the killed instance held may be) */
  fetchedTwice: number;
  strayTwice: number;
  notFetched: number;
  items: number;
  expected: number;
  duplicates: number;
  /** ordered pairs of instances where the second answered the first's ETag with 304, of all pairs × paths */
  notModified: number;
  pairs: number;
  seconds: number;
  /** the instances' warnings and errors in the round (their log lines of level warn and above), first few */
  warnings: string[];
  /**
   * sources the live instances took over from a lease that had run out, in the round (their /status): more than the
   * killed instance held means a live instance lost a lease it could not renew in time (a stalled process)
   */
  steals: number;
  /** for a source requested twice that the killed instance did not hold: which instances logged a fetch of it, when */
  strays: { source: string; fetches: string[] }[];
}

export async function faultRounds(cluster: PgCluster, fixture: FixtureChild, dir: string, items: number, roundStep: number, options: FaultOptions): Promise<FaultRound[]> {
  const url = await cluster.createDatabase('bench_fault');
  const sources = benchSources(options.sources);
  const config = join(dir, 'fault.yaml');
  writeSiteConfig(config, { sources, feedUrl: fixture.feedUrl, concurrency: options.concurrency, leaseSeconds: options.leaseSeconds, maxItemsPerSource: 10_000 });
  const db = await connect(url);
  let started = 0;
  const start = () => {
    const k = started++;
    const data = join(dir, `fault-${k}`);
    mkdirSync(data, { recursive: true });
    return startInstance(config, url, data, join(dir, `fault-${k}.peak.json`));
  };
  const instances: Instance[] = [];
  const rounds: FaultRound[] = [];
  const logRead = new Map<Instance, number>();
  const stealsSeen = new Map<Instance, number>();
  try {
    await fixture.round(0);
    await fixture.reset();
    instances.push(...await Promise.all([start(), start(), start()]));
    for (let r = 0; r < options.rounds; r++) {
      const roundStart = Date.now();
      if (r > 0) {
        await fixture.round(r);
        await fixture.reset();
        await dueAgain(db);
      }
      const killAt = Math.ceil(options.sources * KILL_AT[r % KILL_AT.length]!);
      await waitFor(`round ${r}: ${killAt} sources requested`, () => fixture.counts(), (c) => Object.keys(c.counts).length >= killAt, 10 * 60_000, 20);
      const victim = await busiest(db, instances);
      const killedAt = Date.now();
      instances[instances.indexOf(victim)]!.kill();
      const { rows: held } = await db.query<{ source_id: string; expires: number }>(
        `SELECT source_id, extract(epoch FROM expires_at) * 1000 AS expires FROM tributary_leases WHERE holder = $1`, [victim.id]);
      instances[instances.indexOf(victim)] = await start();
      const expected = options.sources * (items + r * roundStep);
      await waitFor(`round ${r}: ${expected} items stored and every source handed back`, () => finished(db, options.sources, expected),
        (done) => done, options.leaseSeconds * 1000 + 10 * 60_000);
      const stored = await storedCounts(db);
      const counts = await fixture.counts();
      const heldIds = new Set(held.map((h) => Number(h.source_id.slice('source-'.length))));
      const twice = Object.entries(counts.counts).filter(([, c]) => c > 1).map(([n]) => Number(n));
      const late = held.map((h) => {
        const n = Number(h.source_id.slice('source-'.length));
        const again = counts.last[n] ?? 0;
        // requested after the kill, or not at all since (then it counts as infinitely late)
        return again > killedAt ? again - Number(h.expires) : Infinity;
      });
      const answers = await crossEtags(instances);
      let steals = 0;
      for (const i of instances) {
        const total = await stealsOf(i);
        steals += total - (stealsSeen.get(i) ?? 0);
        stealsSeen.set(i, total);
      }
      const warnings = [victim, ...instances].flatMap((i) => {
        const text = i.log();
        const from = logRead.get(i) ?? 0;
        logRead.set(i, text.length);
        return text.slice(from).split('\n').filter((line) => /"level":(4|5|6)0/.test(line)).map((line) => `${i.id}: ${line.slice(0, 400)}`);
      });
      rounds.push({
        round: r, held: held.length, lateMs: late.length ? Math.max(...late) : -1,
        fetchedTwice: twice.length, strayTwice: twice.filter((n) => !heldIds.has(n)).length,
        notFetched: options.sources - Object.keys(counts.counts).length,
        items: stored.items, expected, duplicates: stored.duplicates, ...answers, seconds: (Date.now() - roundStart) / 1000,
        warnings: warnings.slice(0, 20), steals,
        strays: twice.filter((n) => !heldIds.has(n)).slice(0, 5).map((n) => ({ source: `source-${n}`, fetches: fetchesOf(`source-${n}`, [victim, ...instances], roundStart) })),
      });
      process.stderr.write(`pg fault round ${r}: killed ${victim.id} holding ${held.length} leases; ${JSON.stringify(rounds.at(-1))}\n`);
    }
    return rounds;
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    await db.end();
  }
}

/** The log lines in which these instances said they fetched a source, since `since` (epoch ms). */
function fetchesOf(sourceId: string, instances: Instance[], since: number): string[] {
  return instances.flatMap((i) => i.log().split('\n')
    .filter((line) => line.includes(`"source":"${sourceId}"`) && Number(line.match(/"time":(\d+)/)?.[1] ?? 0) >= since)
    .map((line) => `${i.id}: ${line.slice(0, 300)}`));
}

/** Lease steals an instance has counted since it started (its /status). */
async function stealsOf(instance: Instance): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${instance.port}/status`);
  return ((await res.json()) as { leases: { steals: number } }).leases.steals;
}

/** The instance holding the most leases now: killing it loses the most work in flight. */
async function busiest(db: pg.Client, instances: Instance[]): Promise<Instance> {
  const { held } = await storedCounts(db);
  return [...instances].sort((a, b) => (held[b.id] ?? 0) - (held[a.id] ?? 0))[0]!;
}

/**
 * Once the instances serve the same ETag for every path (the renderer's last publication reached them all), a
 * reader's If-None-Match of one instance's answer is sent to each other instance: 304 expected. Retried while a new
 * publication lands between the two requests.
 */
async function crossEtags(instances: Instance[]): Promise<{ notModified: number; pairs: number }> {
  const pairs = PATHS.length * instances.length * (instances.length - 1);
  let best = 0;
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    let notModified = 0;
    for (const path of PATHS) {
      const first = await Promise.all(instances.map((i) => readerGet(i.port, path)));
      for (const [a, answer] of first.entries()) {
        for (const [b, other] of instances.entries()) {
          if (a === b || answer.status !== 200 || !answer.etag) continue;
          if ((await readerGet(other.port, path, answer.etag)).status === 304) notModified++;
        }
      }
    }
    best = Math.max(best, notModified);
    if (best === pairs) break;
    await sleep(500);
  }
  return { notModified: best, pairs };
}

/** A round is correct when nothing was lost or stored twice, the killed instance's sources were fetched again in time and every instance answered every other's ETag with 304. */
function isCorrect(r: FaultRound): boolean {
  return r.items === r.expected && r.duplicates === 0 && r.lateMs <= PASS_MS + FETCH_SLACK_MS && r.notFetched === 0 && r.notModified === r.pairs;
}

export function faultRow(rounds: FaultRound[], options: FaultOptions, roundStep: number): BenchRow {
  const sum = (f: (r: FaultRound) => number) => rounds.reduce((a, r) => a + f(r), 0);
  const correct = rounds.filter(isCorrect).length;
  const maxLate = Math.max(...rounds.map((r) => r.lateMs));
  return {
    module: 'pg',
    name: `fault: kill -9 one of 3 instances mid-cycle, ${rounds.length} times (${options.sources} sources)`,
    measured: { value: correct, unit: 'rounds correct' },
    reference: { value: rounds.length, unit: 'rounds', name: 'run' },
    ratio: rounds.length ? correct / rounds.length : 0,
    goal: { text: 'all: nothing lost or stored twice, taken over within lease + one pass, 304 across instances', met: correct === rounds.length && rounds.length > 0 },
    notes: `store.leaseSeconds ${options.leaseSeconds}; in each round every source has ${roundStep} new items and is due; one instance (the one holding most leases) `
      + `is killed with SIGKILL after 25/50/75 % of the sources were requested, and a new one started. The killed instances held ${sum((r) => r.held)} leases in all; `
      + `the last of a round's taken-over sources was requested again at most ${(maxLate / 1000).toFixed(1)} s after its lease expired (bound: one pass, ${PASS_MS / 1000} s, `
      + `+ ${FETCH_SLACK_MS / 1000} s). Rounds with an item lost: ${rounds.filter((r) => r.items !== r.expected).length}; items stored twice: ${sum((r) => r.duplicates)}; `
      + `If-None-Match across instances answered 304: ${sum((r) => r.notModified)} of ${sum((r) => r.pairs)}. Lease steals by live instances: ${sum((r) => r.steals)} `
      + `(killed instances' leases: ${sum((r) => r.held)}); sources requested twice that the killed instance did not hold: ${sum((r) => r.strayTwice)} `
      + `(a live instance that could not renew its lease in time, on this loaded machine: fetched twice, stored once). Rounds took ${rounds.map((r) => r.seconds.toFixed(0)).join(', ')} s.`,
    detail: { rounds },
  };
}
