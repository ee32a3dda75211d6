// A big PostgreSQL store for the benchmark, made fast: the schema by the service's own migrations (PgStore.open),
// then the items streamed into `COPY tributary_items FROM STDIN` through psql, the canonical-link claims and the
// source states in one statement each. A million items through `tributary migrate-store` would first load a
// lowdb store of ~2 GiB into memory and insert 500 rows a statement; COPY takes them as one stream.
//
// The rows are what the service writes for these items (store/pg/pg-store.ts insertRow): the item as jsonb, its
// dedupe columns, and the tags the config in force gives it (site-context.ts, as the writers compute them).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Config } from '../src/config/types.ts';
import type { Item } from '../src/model.ts';
import { RuleTagging } from '../src/rules/tagger.ts';
import { siteContext } from '../src/site-context.ts';
import { PgStore } from '../src/store/pg/pg-store.ts';
import { benchItem, type BenchSource } from './items.ts';
import { pgBinDir } from '../tests/helpers/pg-cluster.ts';

const COLUMNS = 'id, source_id, key, canonical_link, fingerprint, published, first_seen, updated, item, tags';
/** rows per write to psql's stdin: ~1 MB of text */
const ROWS_PER_WRITE = 1000;

export interface FillReport {
  items: number;
  seconds: number;
}

/**
 * Fills an empty database with `perSource` items of each source: item numbers `numberOf(0)` … `numberOf(perSource
 * - 1)`, interleaved across sources as a store filled by many cycles is (benchItems order).
 */
export async function fillPgStore(url: string, config: Config, sources: BenchSource[], perSource: number, numberOf = (i: number) => i): Promise<FillReport> {
  const started = performance.now();
  // Claiming a million links and analysing the table take minutes on a busy machine: no 30 s statement limit here.
  const store = await PgStore.open({ url, pool: 2, statementTimeoutMs: 60 * 60_000 });
  try {
    const tags = siteContext(config, {}, [], new RuleTagging()).tags;
    await copyRows(url, function* rows() {
      for (let i = 0; i < perSource; i++) {
        for (let s = 0; s < sources.length; s++) {
          yield copyLine(benchItem(sources[s]!.id, numberOf(i), { ageMinutes: 1 + i * sources.length + s }), tags);
        }
      }
    });
    // The first item stored with a link owns it (as the writers decide it); then the sources' states.
    await store.pool.query(`INSERT INTO tributary_story_links (canonical_link, item_id)
      SELECT DISTINCT ON (canonical_link) canonical_link, id FROM tributary_items WHERE canonical_link IS NOT NULL
       ORDER BY canonical_link, first_seen, id ON CONFLICT DO NOTHING`);
    await store.pool.query(`INSERT INTO tributary_sources (source_id, state, updated_at)
      SELECT s, jsonb_build_object('id', s, 'consecutiveFailures', 0, 'lastFetch', '2025-03-09T12:00:00.000Z'), now()
        FROM unnest($1::text[]) AS s`, [sources.map((s) => s.id)]);
    await store.pool.query('ANALYZE');
    return { items: await store.count(), seconds: (performance.now() - started) / 1000 };
  } finally {
    await store.close();
  }
}

/** One line of COPY's text format: tab-separated, \N for null, backslashes doubled (JSON has no raw tab or newline). */
function copyLine(item: Item, tags: (item: Item) => readonly string[]): string {
  const text = (value: string | undefined) => (value === undefined ? '\\N' : value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'));
  const array = `{${tags(item).map((t) => `"${t.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
  return [item.id, item.sourceId, item.key, item.canonicalLink, item.fingerprint, item.published, item.firstSeen, item.updated,
    JSON.stringify(item), array].map(text).join('\t');
}

/** Streams the lines into `\copy tributary_items FROM STDIN` (psql, the client PostgreSQL ships). */
async function copyRows(url: string, lines: () => Generator<string>): Promise<void> {
  const psql = spawn(join(pgBinDir(), 'psql'), [url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `\\copy tributary_items (${COLUMNS}) FROM STDIN`], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  psql.stderr.on('data', (d) => (stderr += d));
  // a write after psql stopped reading: its exit code and stderr tell why
  psql.stdin.on('error', () => {});
  const exited = once(psql, 'close') as Promise<[number | null]>;
  let batch: string[] = [];
  for (const line of lines()) {
    batch.push(line);
    if (batch.length === ROWS_PER_WRITE) {
      // psql gone (a bad row): its exit, not a drain that never comes, ends the wait
      if (!psql.stdin.write(`${batch.join('\n')}\n`)) await Promise.race([once(psql.stdin, 'drain'), exited]);
      if (psql.exitCode !== null) break;
      batch = [];
    }
  }
  if (batch.length > 0) psql.stdin.write(`${batch.join('\n')}\n`);
  psql.stdin.end();
  const [code] = await exited;
  if (code !== 0) throw new Error(`psql \\copy exited ${code}: ${stderr.slice(-500)}`);
}
