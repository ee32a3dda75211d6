// Starts one throwaway PostgreSQL cluster for the whole run (tests/helpers/pg-cluster.ts); each test file that
// needs the database makes its own database on it (tests/helpers/pg.ts). If the server cannot be started (the
// postgresql package missing), the other tests still run and every PostgreSQL test fails with the reason.
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

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let cluster: PgCluster | undefined;
  try {
    cluster = await startPgCluster();
    project.provide('pgClusterUrl', cluster.url);
    project.provide('pgClusterError', '');
  } catch (error) {
    project.provide('pgClusterUrl', '');
    project.provide('pgClusterError', (error as Error).message);
  }
  return async () => {
    await cluster?.stop();
  };
}
