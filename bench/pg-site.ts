// What the PostgreSQL benchmark's instances run on: a config of fixture sources (bench/fixture-server.ts) with the
// shared store, and the questions the benchmark asks the database: how many items, any stored twice, has every
// source been fetched and handed back.
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/types.ts';
import type { BenchSource } from './items.ts';

export interface SiteOptions {
  sources: BenchSource[];
  feedUrl: (n: number) => string;
  /** fetch.concurrency: sources each instance leases and fetches at once */
  concurrency: number;
  /** fetch.hostConcurrency, over all instances together (default 64, its highest) */
  hostConcurrency?: number;
  leaseSeconds: number;
  maxItemsPerSource: number;
}

/**
 * Writes the config every instance of one case reads, and returns it parsed. The sources' schedule is once a year:
 * a source is due again only when the benchmark says so (dueAgain), never because a quarter hour went by during a
 * long case. All sources are on 127.0.0.1, so the per-host limit is set to its highest (64 requests at once) unless a
 * case says otherwise, and the start is not spread: what is measured is the fetch work, not politeness.
 */
export function writeSiteConfig(file: string, options: SiteOptions): Config {
  const text = stringify({
    title: 'Bench',
    // the public address of the instances behind a load balancer, as several are run: a loopback one names a port
    // none of them listens on, and each start warned of it
    baseUrl: 'https://feeds.example.org',
    defaults: { schedule: '0 0 1 1 *' },
    fetch: { concurrency: options.concurrency, hostConcurrency: options.hostConcurrency ?? 64, spreadSeconds: 0 },
    retention: { maxItemsPerSource: options.maxItemsPerSource },
    store: { kind: 'postgres', leaseSeconds: options.leaseSeconds },
    sources: options.sources.map((s, n) => ({ id: s.id, url: options.feedUrl(n), tags: s.tags })),
  });
  writeFileSync(file, text);
  return parseConfig(text, file);
}

export interface StoredCounts {
  items: number;
  /** items whose link another stored item has too: the same story stored twice */
  duplicates: number;
  /** items per source, lowest and highest */
  minPerSource: number;
  maxPerSource: number;
  /** sources handed back (no holder) and not due before the benchmark makes them due */
  released: number;
  /** leases held now, by holder */
  held: Record<string, number>;
}

/**
 * Whether `items` items are stored and every source handed back: what a benchmark polls for, several times a second,
 * while the instances work. Cheap on purpose: this connection's CPU is counted as PostgreSQL's, and storedCounts()
 * (a count of distinct links and a count per source over every item) polled every 250 ms cost some 6 s of the
 * database's 32 s in a cycle of 2,000 sources. The leases are counted first, the items only once they are all back.
 */
export async function finished(db: pg.Client, sources: number, items: number): Promise<boolean> {
  const { rows: [leases] } = await db.query<{ n: string }>(
    'SELECT count(*) AS n FROM tributary_leases WHERE holder IS NULL AND due_at > now()');
  if (Number(leases!.n) < sources) return false;
  const { rows: [stored] } = await db.query<{ n: string }>('SELECT count(*) AS n FROM tributary_items');
  return Number(stored!.n) >= items;
}

export async function storedCounts(db: pg.Client): Promise<StoredCounts> {
  const { rows: [items] } = await db.query<{ n: string; links: string }>(
    `SELECT count(*) AS n, count(DISTINCT item->>'link') AS links FROM tributary_items`);
  const { rows: [per] } = await db.query<{ lo: string | null; hi: string | null }>(
    `SELECT min(n) AS lo, max(n) AS hi FROM (SELECT count(*) AS n FROM tributary_items GROUP BY source_id) c`);
  const { rows: leases } = await db.query<{ holder: string | null; released: boolean; n: string }>(
    `SELECT holder, holder IS NULL AND due_at > now() AS released, count(*) AS n FROM tributary_leases GROUP BY 1, 2`);
  const held: Record<string, number> = {};
  let released = 0;
  for (const row of leases) {
    if (row.released) released += Number(row.n);
    if (row.holder) held[row.holder] = (held[row.holder] ?? 0) + Number(row.n);
  }
  return {
    items: Number(items!.n), duplicates: Number(items!.n) - Number(items!.links),
    minPerSource: Number(per!.lo ?? 0), maxPerSource: Number(per!.hi ?? 0), released, held,
  };
}

/** Every source due now: what the schedule coming round does, for every source at once. */
export async function dueAgain(db: pg.Client): Promise<void> {
  await db.query('UPDATE tributary_leases SET due_at = now()');
}

/** Polls until `done` says so; the last value when it does; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > until) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}: ${JSON.stringify(value).slice(0, 300)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client(url);
  // A connection the server ends (a dropped database, a stopped cluster) fails the next query, not the process.
  client.on('error', (err) => process.stderr.write(`bench database connection: ${err.message}\n`));
  await client.connect();
  return client;
}
