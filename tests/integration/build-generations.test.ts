// The bundle's chunks are named by a hash of their text (scripts/build.js), and a running CLI or service loads some
// of them only when it first needs them. Two failures this guards against, both seen in full test runs: a build
// whose output named its own temporary directory (every rebuild renamed every chunk), and a rebuild that removed the
// chunks of the build a running process had started from. Real builds (scripts/build.js run as `npm run build` runs
// it) of a copy of this checkout; three in all, as each costs seconds of CPU.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneGenerations } from '../../scripts/generations.js';
import { checkoutCopy } from '../helpers/checkout-copy.ts';
import { runBin } from '../helpers/cli.ts';

const STAMP = '.build-stamp';

let dir: string;
let root: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-build-generations-'));
  root = checkoutCopy(dir, 'checkout');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A forced build (`npm run build`); the generation dist/ then names. */
async function build(): Promise<string> {
  const result = await runBin(join(root, 'scripts', 'build.js'), [], { cwd: root });
  expect(result.code, result.stderr).toBe(0);
  return readlinkSync(join(root, 'dist'));
}

/** The files of a build's bundle, name → text */
function bundleOf(generation: string): Map<string, string> {
  const bundle = join(root, generation, 'bundle');
  return new Map(readdirSync(bundle).sort().map((name) => [name, readFileSync(join(bundle, name), 'utf8')]));
}

/** As if the grace a replaced build gets whatever its users (scripts/generations.js) had passed. */
function retiredLongAgo(generation: string): void {
  const hourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(join(root, generation, '.retired'), hourAgo, hourAgo);
}

describe('the bundle (scripts/build.js)', () => {
  it('gets the same chunk names and bytes from two builds of the same sources', async () => {
    const first = await build();
    const firstBundle = bundleOf(first);
    const chunks = [...firstBundle.keys()].filter((name) => /^chunk-[A-Z0-9]{8}\.js$/.test(name));
    // Enough chunks that a name carrying anything of the build (its directory, its time) would show.
    expect(chunks.length).toBeGreaterThan(10);
    const second = await build();
    expect(second).not.toBe(first);
    const secondBundle = bundleOf(second);
    expect([...secondBundle.keys()]).toEqual([...firstBundle.keys()]);
    for (const [name, text] of secondBundle) {
      expect(text, name).toBe(firstBundle.get(name));
      // Nor does a build name the checkout it was made in (what a clone elsewhere would then name differently).
      expect(text.includes(second) || text.includes(root), name).toBe(false);
    }
  }, 120_000);

  it('keeps every file of the build a running process started from until that process is gone', async () => {
    // What bin/tributary.js does at a start (build if needed, run the build dist/ names), then, when asked, what a
    // running command does when it first needs a chunk: import it beside its entry.
    const script = `const { ensureBuilt } = await import(${JSON.stringify(pathToFileURL(join(root, 'scripts', 'build.js')).href)});
const entry = await ensureBuilt();
console.log(entry);
process.stdin.setEncoding('utf8').on('data', async (name) => { await import(new URL(name.trim(), entry)); console.log('imported ' + name.trim()); });`;
    const running = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    running.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const printed = async (text: string): Promise<void> => {
      while (!stdout.includes(text)) {
        if (running.exitCode !== null) throw new Error(`the running process exited ${running.exitCode}: ${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    let started = '';
    try {
      await printed('\n');
      started = readlinkSync(join(root, 'dist'));
      expect(stdout).toContain(`/${started}/bundle/tributary.js`);
      const before = bundleOf(started);
      // Builds replaced before, which no process runs: removed by the next build once their grace is over.
      const unused = readdirSync(root).filter((name) => /^\.dist-[0-9a-f]{16}$/.test(name) && name !== started);
      for (const generation of unused) retiredLongAgo(generation);

      // A changed source: the chunks of the new build that hold it have other names.
      const usage = join(root, 'src', 'cli', 'usage.ts');
      writeFileSync(usage, readFileSync(usage, 'utf8').replace('`usage:', '`usage (edited):'));
      const edited = await build();
      for (const generation of unused) expect(existsSync(join(root, generation)), generation).toBe(false);
      const editedNames = new Set(readdirSync(join(root, edited, 'bundle')));
      const gone = [...before.keys()].filter((name) => name.endsWith('.js') && !editedNames.has(name));
      expect(gone.length).toBeGreaterThan(0);

      retiredLongAgo(started);
      pruneGenerations(root, STAMP);
      expect(bundleOf(started)).toEqual(before);
      running.stdin.write(`${gone[0]}\n`);
      await printed(`imported ${gone[0]}`);
    } finally {
      running.kill('SIGKILL');
      await new Promise((resolve) => running.once('close', resolve));
    }
    // Killed: its registration is left behind, but its pid is dead.
    pruneGenerations(root, STAMP);
    expect(existsSync(join(root, started))).toBe(false);
    expect(existsSync(join(root, 'dist', 'bundle', 'tributary.js'))).toBe(true);
  }, 120_000);
});
