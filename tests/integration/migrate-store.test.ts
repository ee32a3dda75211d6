// `tributary migrate-store`: the embedded store copied into an empty PostgreSQL database (a real server, started by
// tests/setup/postgres.ts) and back into an empty data directory, through the compiled CLI as an operator runs it.
// What must survive the round trip: every item as stored, every source state with its pruned keys, the counts per
// source; and what must be refused: a non-empty target, a data directory a running service holds, no store at all.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, SourceState } from '../../src/model.ts';
import { PgStore } from '../../src/store/pg/pg-store.ts';
import { ItemStore } from '../../src/store/store.ts';
import { lockDataDir } from '../../src/store/writer-lock.ts';
import { runCli } from '../helpers/cli.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { sampleItem } from '../helpers/sample-items.ts';

const SOURCES = ['cn-news', 'world', 'tech'];
/** More than one INSERT batch (500) and one read page (2,000) of the copy. */
const PER_SOURCE = 700;

let dir: string;
const dirs: string[] = [];
let original: Item[];
let states: SourceState[];

function seedItem(sourceId: string, n: number): Item {
  return sampleItem(n, {
    id: `tag:tributary.test,2025:${sourceId}/${n}`,
    sourceId,
    key: `g:${sourceId}:${n}`,
    title: (sourceId === 'cn-news' ? `国务院发布新规 第${n}号` : `Story ${sourceId} ${n}`) as Item['title'],
    link: `https://${sourceId}.example.com/story/${n}`,
    canonicalLink: `https://${sourceId}.example.com/story/${n}`,
    categories: (n % 3 === 0 ? ['科技', 'ai'] : ['finance']) as Item['categories'],
    alsoIn: n % 50 === 0 ? ['world'] : [],
    fingerprint: `fp-${sourceId}-${n}`,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-migrate-'));
  dirs.push(dir);
  const store = await ItemStore.open(dir);
  for (const sourceId of SOURCES) store.apply(Array.from({ length: PER_SOURCE }, (_, i) => seedItem(sourceId, i + 1)), []);
  states = SOURCES.map((id, i) => ({
    id,
    consecutiveFailures: i,
    etag: `"etag-${id}"`,
    lastSuccess: '2025-02-01T00:00:00.000Z',
    ...(i === 1 ? { lastError: 'HTTP 500', failingSince: '2025-02-01T00:00:00.000Z' } : {}),
    prunedKeys: { [`k-${id}-1`]: '2025-01-15T00:00:00.000Z', [`k-${id}-2`]: '2025-01-16T00:00:00.000Z' },
  }));
  for (const state of states) store.setSourceState(state);
  await store.commit();
  original = store.items().map((item) => structuredClone(item));
}, 60_000);

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const byId = (items: readonly Item[]) => new Map(items.map((item) => [item.id, item]));

describe('tributary migrate-store', () => {
  it('copies the embedded store into an empty database, refuses a second copy, and copies it back unchanged', async () => {
    const url = await freshDatabase('migrate');
    // A password in the URL (trust authentication ignores it) must not be printed.
    const withPassword = new URL(url);
    withPassword.password = 's3cret-pw';
    const target = withPassword.toString();

    const there = await runCli(['migrate-store', '--to', target, '--data', dir]);
    expect(there.stderr).toBe('');
    expect(there.code).toBe(0);
    expect(there.stdout).toMatch(new RegExp(`copied ${SOURCES.length * PER_SOURCE} items of ${SOURCES.length} sources and ${SOURCES.length} source states`));
    expect(there.stdout).not.toContain('s3cret-pw');

    const pg = await PgStore.open({ url: target, pool: 2 });
    try {
      expect(await pg.count()).toBe(SOURCES.length * PER_SOURCE);
      expect(Object.fromEntries(await pg.countsBySource())).toEqual(Object.fromEntries(SOURCES.map((id) => [id, PER_SOURCE])));
      for (const sample of [original[0]!, original[777]!, original[original.length - 1]!]) {
        expect(await pg.item(sample.id)).toEqual(sample);
      }
      for (const state of states) expect(await pg.sourceState(state.id)).toEqual(state);
      // The copy is a working store: dedupe finds the copied story by its canonical link from another source.
      const stored = await pg.candidates('world', [seedItem('cn-news', 5), seedItem('tech', 9)]);
      expect(stored.byCanonicalLink(seedItem('cn-news', 5).canonicalLink!)?.id).toBe(seedItem('cn-news', 5).id);
      expect(stored.byFingerprint('fp-tech-9').map((item) => item.id)).toEqual([seedItem('tech', 9).id]);
    } finally {
      await pg.close();
    }

    const again = await runCli(['migrate-store', '--to', target, '--data', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds 2100 items .* empty database only/);
    expect(again.stderr).not.toContain('s3cret-pw');

    const back = await mkdtemp(join(tmpdir(), 'tributary-migrate-back-'));
    dirs.push(back);
    const home = await runCli(['migrate-store', '--to', back, '--database', target]);
    expect(home.stderr).toBe('');
    expect(home.code).toBe(0);
    expect(home.stdout).toMatch(/copied 2100 items of 3 sources and 3 source states/);
    const copy = await ItemStore.open(back);
    expect(copy.size).toBe(original.length);
    const copied = byId(copy.items());
    for (const item of original) expect(copied.get(item.id)).toEqual(item);
    for (const state of states) expect(copy.sourceState(state.id)).toEqual(state);

    // into a data directory that already has a store: refused, and that store untouched
    const over = await runCli(['migrate-store', '--to', back, '--database', target]);
    expect(over.code).toBe(1);
    expect(over.stderr).toMatch(/store\.json exists: migrate-store copies into an empty data directory only/);
    expect((await ItemStore.open(back)).size).toBe(original.length);
  }, 120_000);

  it('refuses a data directory a running service holds, one without a store, and a command line without a target', async () => {
    const url = await freshDatabase('migrate_refused');
    const lock = await lockDataDir(dir, 'serve');
    try {
      const held = await runCli(['migrate-store', '--to', url, '--data', dir]);
      expect(held.code).toBe(1);
      expect(held.stderr).toMatch(/serve/);
    } finally {
      lock.release();
    }
    const empty = await mkdtemp(join(tmpdir(), 'tributary-migrate-empty-'));
    dirs.push(empty);
    const none = await runCli(['migrate-store', '--to', url, '--data', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/store\.json does not exist: nothing to copy/);

    const noTarget = await runCli(['migrate-store', '--data', dir]);
    expect(noTarget.code).toBe(2);
    expect(noTarget.stderr).toMatch(/needs --to/);
    const pg = await PgStore.open({ url, pool: 1 });
    try {
      expect(await pg.count()).toBe(0);
    } finally {
      await pg.close();
    }
  }, 60_000);
});
