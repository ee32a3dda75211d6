// `tributary fetch --once` on the PostgreSQL store: the real CLI makes one pass against a real database
// (tests/setup/postgres.ts) and fixture sources on 127.0.0.1, leasing the sources as an instance does: every enabled
// source is fetched (not only those due by schedule), --source fetches only those named, a source backing off is
// skipped unless forced, and the feeds are rendered and published when no instance holds the render lock.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { freshDatabase } from '../helpers/pg.ts';
import { fixture } from '../helpers/sample-site.ts';

describe('fetch --once on the PostgreSQL store', () => {
  const fx = new FixtureServer();
  let database: string;
  let config: string;

  beforeAll(async () => {
    await fx.start();
    fx.routes.set('/world.xml', { headers: { 'content-type': 'application/rss+xml' }, body: fixture('world-news.rss.xml') });
    fx.routes.set('/tech.atom', { headers: { 'content-type': 'application/atom+xml' }, body: fixture('tech-blog.atom.xml') });
    fx.routes.set('/broken.xml', { status: 500, body: 'Internal Server Error' });
    database = await freshDatabase('shared_fetch_once');
    const dir = mkdtempSync(join(tmpdir(), 'tributary-once-pg-'));
    config = join(dir, 'sources.yaml');
    writeFileSync(config, [
      'title: Once', 'baseUrl: http://tributary.test', 'sources:',
      '  - id: world', `    url: ${fx.url('/world.xml')}`, '    tags: [news]',
      '  - id: tech', `    url: ${fx.url('/tech.atom')}`, '    tags: [tech]',
      '  - id: broken', `    url: ${fx.url('/broken.xml')}`, '',
    ].join('\n'));
  });

  afterAll(async () => {
    await fx.stop();
  });

  async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
    const client = new pg.Client(database);
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  }

  const fetchedPaths = () => fx.requests.map((r) => r.path).sort();

  it('fetches every source into the database and publishes the feeds', async () => {
    const run = await runCli(['fetch', '--once', '--config', config, '--database', database]);
    expect(run.code, run.stderr).toBe(0);
    expect(fetchedPaths()).toEqual(['/broken.xml', '/tech.atom', '/world.xml']);
    const n = (await query<{ n: string }>('SELECT count(*) AS n FROM tributary_items'))[0]!.n;
    expect(Number(n)).toBeGreaterThan(0);
    expect(run.stderr).toMatch(/^broken: .*HTTP 500 Internal Server Error$/m);
    // (the updated count depends on which of the sources, fetched at once, is written first)
    expect(run.stderr).toMatch(new RegExp(`^fetched 3 sources \\(1 failed\\): ${n} new, [01] updated items; ${n} stored \\(PostgreSQL store; rendered and published\\)$`, 'm'));
    const names = (await query<{ name: string }>('SELECT name FROM tributary_rendered')).map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(['latest.atom', 'tags/news.rss', 'sources/tech.json', 'index', 'opml']));
    expect(await query('SELECT source_id FROM tributary_leases WHERE holder IS NOT NULL')).toEqual([]);
  });

  it('fetches again at the next run, whatever the schedule; skips a source backing off unless forced', async () => {
    fx.requests.length = 0;
    const run = await runCli(['fetch', '--once', '--config', config], { TRIBUTARY_DATABASE_URL: database });
    expect(run.code, run.stderr).toBe(0);
    expect(fetchedPaths()).toEqual(['/tech.atom', '/world.xml']);
    expect(run.stderr).toMatch(/broken: skipped, backing off until .* \(--force or --source broken fetches it anyway\)/);
    expect(run.stderr).toContain('fetched 2 sources (0 failed, 1 skipped): 0 new, 0 updated items');
    fx.requests.length = 0;
    const forced = await runCli(['fetch', '--once', '--force', '--config', config, '--database', database]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(fetchedPaths()).toEqual(['/broken.xml', '/tech.atom', '/world.xml']);
  });

  it('fetches only the sources named with --source', async () => {
    fx.requests.length = 0;
    const run = await runCli(['fetch', '--once', '--source', 'broken', '--config', config, '--database', database]);
    expect(run.code, run.stderr).toBe(0);
    expect(fetchedPaths()).toEqual(['/broken.xml']);
    expect(run.stderr).toContain('fetched 1 sources (1 failed)');
  });
});
