// A fresh database for a test file on the run's PostgreSQL cluster (tests/setup/postgres.ts).
import pg from 'pg';
import { inject } from 'vitest';

let counter = 0;

/** Creates an empty database and returns its URL; fails with the reason when the cluster is not running. */
export async function freshDatabase(label: string): Promise<string> {
  const clusterUrl = inject('pgClusterUrl');
  if (!clusterUrl) throw new Error(`PostgreSQL is not available for the tests: ${inject('pgClusterError')}`);
  const name = `t_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${process.pid}_${++counter}`;
  const admin = new pg.Client(clusterUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
