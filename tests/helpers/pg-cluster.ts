// A throwaway PostgreSQL cluster for tests and benchmarks: the real server an operator runs (Debian's postgresql
// package), never an in-process imitation. initdb into a temporary directory, pg_ctl start on a free loopback port,
// pg_ctl stop and delete at the end.
//
// The server refuses to run as root. When the tests run as root (CI, this machine), the cluster belongs to the
// unprivileged user `nobody` and every PostgreSQL program runs through `runuser -u nobody`.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const NOBODY = { uid: 65534, gid: 65534, name: 'nobody' };

export interface PgCluster {
  /** postgres://tributary@127.0.0.1:PORT/postgres: the superuser, trusted on loopback only */
  url: string;
  port: number;
  dir: string;
  /** a new empty database on this cluster, for one test file or one bench run */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Where Debian puts the server programs (/usr/lib/postgresql/15/bin); PG_BIN overrides. */
export function pgBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb'))) return bin;
  }
  throw new Error('PostgreSQL server programs not found under /usr/lib/postgresql/*/bin: install Debian\'s postgresql package (apt-get install -y postgresql), or set PG_BIN');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function pgRun(program: string, args: string[], asNobody: boolean): Promise<string> {
  const bin = join(pgBinDir(), program);
  const [file, argv] = asNobody ? ['runuser', ['-u', NOBODY.name, '--', bin, ...args]] : [bin, args];
  try {
    const { stdout } = await run(file, argv, { timeout: 60_000, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

export async function startPgCluster(): Promise<PgCluster> {
  const asNobody = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'tributary-pg-'));
  const data = join(dir, 'data');
  if (asNobody) chownSync(dir, NOBODY.uid, NOBODY.gid);
  chmodSync(dir, 0o700);
  await pgRun('initdb', ['-D', data, '-U', 'tributary', '--auth=trust', '--encoding=UTF8', '--no-sync', '-N'], asNobody);
  // Durability is not under test here (the service's own crash tests kill the service, not the server): a
  // throwaway cluster without fsync starts and writes faster.
  writeFileSync(join(data, 'postgresql.auto.conf'), [
    'fsync = off', 'synchronous_commit = off', 'full_page_writes = off',
    "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, 'max_connections = 200',
  ].join('\n') + '\n');
  if (asNobody) chownSync(join(data, 'postgresql.auto.conf'), NOBODY.uid, NOBODY.gid);
  let port = 0;
  for (let attempt = 0; ; attempt += 1) {
    port = await freePort();
    try {
      await pgRun('pg_ctl', ['-D', data, '-o', `-p ${port}`, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start'], asNobody);
      break;
    } catch (error) {
      if (attempt >= 2) throw error; // the port was taken between the probe and the start: try another
    }
  }
  const url = `postgres://tributary@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dir,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
      await pgRun('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'tributary', name], asNobody);
      return `postgres://tributary@127.0.0.1:${port}/${name}`;
    },
    async stop(): Promise<void> {
      try {
        await pgRun('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], asNobody);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
