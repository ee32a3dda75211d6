// bin/tributary.js runs compiled JavaScript from dist/, built by scripts/build.js when dist/ is missing or does not
// match src/, and runs src/ through tsx when the checkout cannot be written. Each case runs on its own copy of the
// checkout (src/ copied, node_modules linked), so building, editing and locking it never touches the dist/ the
// other tests start from.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutCopy } from '../helpers/checkout-copy.ts';
import { runBin, type CliResult, type SpawnOptions } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';
import { rssFeed } from '../helpers/test-app.ts';

/** File modes do not stop root: then the unwritable checkout is run by "nobody", whom they do stop. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

const fx = new FixtureServer();
let dir: string;
/** the copy the first case built, once it has: the second edits it, so it pays one build, not two */
let built: string | undefined;

beforeAll(async () => {
  await fx.start();
  fx.routes.set('/wire.xml', { headers: { 'content-type': 'application/rss+xml' }, body: rssFeed('Wire', 3) });
  dir = mkdtempSync(join(tmpdir(), 'tributary-compiled-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'sources.yaml'), `sources:\n  - id: wire\n    url: ${fx.url('/wire.xml')}\n`);
  chmodSync(join(dir, 'sources.yaml'), 0o644);
});

afterAll(async () => {
  await fx.stop();
  // An unwritable copy made by a non-root run is writable again before it is removed.
  if (!asRoot && existsSync(dir)) spawn('chmod', ['-R', 'u+w', dir]).once('close', () => rmSync(dir, { recursive: true, force: true }));
  else rmSync(dir, { recursive: true, force: true });
});

function run(root: string, args: string[], options: SpawnOptions = {}): Promise<CliResult> {
  return runBin(join(root, 'bin', 'tributary.js'), args, { cwd: root, ...options });
}

/** A data directory the given user can write. */
function dataDir(name: string, options: SpawnOptions = {}): string {
  const data = join(dir, name);
  mkdirSync(data);
  if (options.uid !== undefined) chownSync(data, options.uid, options.gid ?? options.uid);
  return data;
}

/** fetch --once of the fixture source: it parses on the read pool's worker threads, so it proves they start. */
async function expectFetchOnceReads(root: string, data: string, options: SpawnOptions = {}): Promise<void> {
  const result = await run(root, ['fetch', '--once', '--config', join(dir, 'sources.yaml'), '--data', data], options);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toContain('fetched 1 sources (0 failed): 3 new, 0 updated items; 3 stored');
}

describe('the compiled start (bin/tributary.js, scripts/build.js)', () => {
  it('builds dist/ when it is missing, runs it, and the read pool starts its workers from dist/', async () => {
    const root = checkoutCopy(dir, 'fresh');
    const checked = await run(root, ['check', '--config', join(dir, 'sources.yaml')]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain('ok, 1 sources');
    expect(existsSync(join(root, 'dist', 'cli', 'entry.js'))).toBe(true);
    expect(existsSync(join(root, 'dist', 'workers', 'read-worker.js'))).toBe(true);
    const stamp = readFileSync(join(root, 'dist', '.build-stamp'), 'utf8');
    // A worker started by a .ts URL would fail to load here: nothing registers tsx's loader in a compiled run.
    expect(readFileSync(join(root, 'dist', 'workers', 'read-pool.js'), 'utf8')).not.toMatch(/read-worker\.ts/);
    await expectFetchOnceReads(root, dataDir('fresh-data'));
    // Nothing changed in src/: the same build is used, not made again.
    expect(readFileSync(join(root, 'dist', '.build-stamp'), 'utf8')).toBe(stamp);
    built = root;
  }, 60_000);

  it('builds again when a source file changed since dist/ was built', async () => {
    // The first case's copy, built and not edited (a copy of its own, built here, when that case did not get so far).
    const root = built ?? checkoutCopy(dir, 'edited');
    expect((await run(root, ['check', '--help'])).stdout).toMatch(/^usage:/);
    const stamp = readFileSync(join(root, 'dist', '.build-stamp'), 'utf8');
    const usage = join(root, 'src', 'cli', 'usage.ts');
    writeFileSync(usage, readFileSync(usage, 'utf8').replace('`usage:', '`usage (edited):'));
    const help = await run(root, ['check', '--help']);
    expect(help.stdout).toMatch(/^usage \(edited\):/);
    expect(readFileSync(join(root, 'dist', 'cli', 'usage.js'), 'utf8')).toContain('usage (edited):');
    expect(readFileSync(join(root, 'dist', '.build-stamp'), 'utf8')).not.toBe(stamp);
  }, 60_000);

  it('runs src/ through tsx from a checkout it cannot write, read pool included, silently and without building', async () => {
    const root = checkoutCopy(dir, 'read-only');
    const runAs: SpawnOptions = asRoot ? { uid: NOBODY, gid: NOBODY } : {};
    if (!asRoot) await new Promise((resolve) => spawn('chmod', ['-R', 'a-w', root]).once('close', resolve));
    const checked = await run(root, ['check', '--config', join(dir, 'sources.yaml')], runAs);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain('ok, 1 sources');
    expect(checked.stderr).toBe('');
    expect(existsSync(join(root, 'dist'))).toBe(false);
    await expectFetchOnceReads(root, dataDir('read-only-data', runAs), runAs);
    expect(existsSync(join(root, 'dist'))).toBe(false);
  }, 90_000);
});
