// Creates and migrates the PostgreSQL store's schema at start. Several instances may start at once: each takes the
// same session-level advisory lock first, so exactly one applies a given migration and the others find it applied.
// Each migration runs in its own transaction with its row in tributary_schema, so a failed one leaves the schema at
// the previous version. A database migrated by newer code is refused rather than written with an older idea of it.
import type pg from 'pg';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.ts';

/** pg_advisory_lock key for migrations: an arbitrary constant of Tributary's ("trib" in ASCII). */
export const MIGRATION_LOCK = 0x74726962;

export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

export interface MigrationReport {
  from: number;
  to: number;
  applied: { version: number; name: string }[];
}

/** Brings the database to SCHEMA_VERSION (or to `migrations`' last, for tests). */
export async function migrate(pool: pg.Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  const target = migrations.length ? migrations[migrations.length - 1]!.version : 0;
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS tributary_schema (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM tributary_schema');
      const from = rows[0]?.version ?? 0;
      if (from > target) {
        throw new SchemaError(`database schema is at version ${from}, newer than this Tributary knows (${target}): `
          + 'it was migrated by a newer release; run that release, or restore a backup taken before the upgrade');
      }
      const applied: MigrationReport['applied'] = [];
      for (const migration of migrations) {
        if (migration.version <= from) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO tributary_schema (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new SchemaError(`migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`);
        }
        applied.push({ version: migration.version, name: migration.name });
      }
      return { from, to: Math.max(from, target), applied };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

export { SCHEMA_VERSION };
