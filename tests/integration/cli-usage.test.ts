// The command line's own answers, through the compiled CLI as an operator runs it: --help, -h and --version on
// every command, an unknown option as one usage line (exit 2, no stack trace), and a port that cannot be listened
// on as one line naming the port and how to choose another (exit 1).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-cli-usage-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tributary --help, -h, --version', () => {
  it('prints the usage on stdout with exit 0, before or after any command', async () => {
    for (const args of [['--help'], ['-h'], ['serve', '--help'], ['check', '-h'], ['inspect', '--help']]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/^usage:\n {2}tributary serve /);
      expect(result.stderr).toBe('');
    }
  });

  it('prints the package version, on every command', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const args of [['--version'], ['serve', '--version'], ['check', '--config', 'nowhere', '--version']]) {
      const result = await runCli(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toBe(`tributary ${version}\n`);
    }
  });

  it('refuses an unknown option with one line naming it and the usage, exit 2, no stack trace', async () => {
    const result = await runCli(['serve', '--prot', '9000']);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(`Unknown option '--prot'`);
    expect(result.stderr).toContain('usage:');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr).not.toContain('TypeError');
  });
});

describe('tributary serve on a port it cannot have', () => {
  it('says which port is taken and how to choose another, exit 1, no stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const config = join(dir, 'sources.yaml');
      await writeFile(config, `title: T\nbaseUrl: http://127.0.0.1:${port}\nsources:\n  - id: a\n    url: http://127.0.0.1:9/feed.xml\n`);
      const result = await runCli(['serve', '--config', config, '--data', join(dir, 'data'), '--port', String(port), '--host', '127.0.0.1']);
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n').filter((l) => !l.startsWith('{'));
      expect(lines).toEqual([`port ${port} on 127.0.0.1 is already in use (another Tributary, or another program): stop it, or choose another port with --port N or PORT=N`]);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
