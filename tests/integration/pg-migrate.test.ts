// The PostgreSQL store's schema, on a real server (tests/setup/postgres.ts): created at first start, applied once
// when several instances start together, and a database migrated by newer code is refused.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/store/pg/migrations.ts';
import { migrate, SchemaError } from '../../src/store/pg/migrate.ts';
import { freshDatabase } from '../helpers/pg.ts';

const pools: pg.Pool[] = [];
function poolFor(url: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pools.push(pool);
  return pool;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.end()));
});

async function tables(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
  return rows.map((r) => r.name);
}

describe('PostgreSQL schema migrations', () => {
  it('creates every table on an empty database, then finds nothing to do', async () => {
    const pool = poolFor(await freshDatabase('migrate_empty'));
    const first = await migrate(pool);
    expect(first.from).toBe(0);
    expect(first.to).toBe(SCHEMA_VERSION);
    expect(first.applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await tables(pool)).toEqual([
      'tributary_changes', 'tributary_host_slots', 'tributary_hosts', 'tributary_instances', 'tributary_items', 'tributary_leases',
      'tributary_rendered', 'tributary_schema', 'tributary_settings', 'tributary_sources', 'tributary_story_links',
      'tributary_websub_deliveries', 'tributary_websub_subscriptions', 'tributary_websub_verifications',
    ]);
    const again = await migrate(pool);
    expect(again).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
  });

  it('applies each migration exactly once when five instances start at the same moment', async () => {
    const url = await freshDatabase('migrate_race');
    const reports = await Promise.all([0, 1, 2, 3, 4].map(() => migrate(poolFor(url))));
    const appliedBy = reports.filter((r) => r.applied.length > 0);
    expect(appliedBy).toHaveLength(1);
    expect(appliedBy[0]!.applied).toHaveLength(MIGRATIONS.length);
    const { rows } = await poolFor(url).query('SELECT version FROM tributary_schema ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('migrates an older schema forward, one version at a time', async () => {
    const pool = poolFor(await freshDatabase('migrate_forward'));
    expect((await migrate(pool, MIGRATIONS.slice(0, 1))).applied.map((m) => m.version)).toEqual([1]);
    expect(await tables(pool)).not.toContain('tributary_leases');
    const report = await migrate(pool);
    expect(report.from).toBe(1);
    expect(report.applied.map((m) => m.version)).toEqual(MIGRATIONS.slice(1).map((m) => m.version));
    expect(await tables(pool)).toContain('tributary_leases');
  });

  it('refuses a database migrated by a newer release, and changes nothing', async () => {
    const pool = poolFor(await freshDatabase('migrate_newer'));
    await migrate(pool);
    await pool.query(`INSERT INTO tributary_schema (version, name) VALUES ($1, 'from the future')`, [SCHEMA_VERSION + 5]);
    const refused = await migrate(pool).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SchemaError);
    expect((refused as Error).message).toMatch(new RegExp(`version ${SCHEMA_VERSION + 5}, newer than this Tributary knows \\(${SCHEMA_VERSION}\\)`));
    // the lock was let go: another start is refused the same way instead of hanging
    await expect(migrate(pool)).rejects.toThrow(SchemaError);
  });

  it('leaves the schema at the previous version when a migration fails', async () => {
    const pool = poolFor(await freshDatabase('migrate_fail'));
    const broken = [...MIGRATIONS, { version: SCHEMA_VERSION + 1, name: 'broken', sql: 'CREATE TABLE tributary_x (a int); SELECT no_such_function();' }];
    await expect(migrate(pool, broken)).rejects.toThrow(/migration \d+ \(broken\) failed: .*no_such_function/);
    expect(await tables(pool)).not.toContain('tributary_x');
    const { rows } = await pool.query('SELECT max(version) AS v FROM tributary_schema');
    expect(rows[0].v).toBe(SCHEMA_VERSION);
  });
});
