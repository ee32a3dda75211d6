// Starts one throwaway PostgreSQL cluster for the whole run (tests/helpers/pg-cluster.ts); each test file that
// needs the database makes its own database on it (tests/helpers/pg.ts). If the server cannot be started (the
// postgresql package missing), the other tests still run and every PostgreSQL test fails with the reason.
//
// vitest runs a global setup once per project (unit, integration, timed, and the root config): the first call
// starts the cluster and the others share it (kept on globalThis, as each project may load this module anew), so
// the run pays one initdb (seconds of CPU) instead of four; the last teardown stops it.
import type { TestProject } from 'vitest/node';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** the cluster's superuser URL, or '' when it could not be started */
    pgClusterUrl: string;
    /** why the cluster could not be started */
    pgClusterError: string;
  }
}

interface Shared {
  cluster: Promise<PgCluster>;
  users: number;
}

const KEY = Symbol.for('tributary.tests.pgCluster');
const shared = globalThis as typeof globalThis & { [KEY]?: Shared };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const state = (shared[KEY] ??= { cluster: startPgCluster(), users: 0 });
  state.users++;
  let cluster: PgCluster | undefined;
  try {
    cluster = await state.cluster;
    project.provide('pgClusterUrl', cluster.url);
    project.provide('pgClusterError', '');
  } catch (error) {
    project.provide('pgClusterUrl', '');
    project.provide('pgClusterError', (error as Error).message);
  }
  return async () => {
    if (--state.users > 0) return;
    delete shared[KEY];
    await cluster?.stop();
  };
}
