import { spawn, spawnSync, type ChildProcess, type SpawnOptions as ProcessOptions } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));
const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url));
/** what running the CLI needs of the checkout (dist/ is a link to the build it names: both are copied) */
const RUNTIME_PARTS = ['bin', 'scripts', 'src', 'dist', 'tsconfig.json', 'package.json', 'node_modules'];

/** RUNTIME_PARTS as paths in the checkout, with the generation dist/ links to (scripts/generations.js) */
function runtimePaths(): string[] {
  const paths = RUNTIME_PARTS.map((part) => join(CHECKOUT, part)).filter((path) => existsSync(path));
  const dist = join(CHECKOUT, 'dist');
  if (existsSync(dist) && lstatSync(dist).isSymbolicLink()) paths.push(join(CHECKOUT, readlinkSync(dist)));
  return paths;
}

const binsByUser = new Map<number, string>();

/**
 * The CLI entry that user `uid` can run. The checkout may lie where that user cannot enter (a clone under
 * /root, or under a mode-700 temp dir): then the parts the CLI needs are copied, once per test file, to a
 * directory anyone can read (hard links when the disk allows, so it is quick).
 */
export function binFor(options: SpawnOptions): string {
  if (options.uid === undefined) return BIN;
  const known = binsByUser.get(options.uid);
  if (known) return known;
  const probe = `const fs = require('fs'); fs.accessSync(${JSON.stringify(BIN)}, fs.constants.R_OK); fs.accessSync(${JSON.stringify(join(CHECKOUT, 'node_modules', 'tsx', 'package.json'))}, fs.constants.R_OK);`;
  let bin = BIN;
  if (spawnSync(process.execPath, ['-e', probe], { uid: options.uid, gid: options.gid ?? options.uid, stdio: 'ignore' }).status !== 0) {
    const copy = mkdtempSync(join(tmpdir(), 'tributary-checkout-'));
    chmodSync(copy, 0o755);
    const sources = runtimePaths();
    const linked = spawnSync('cp', ['-al', ...sources, copy], { stdio: 'ignore' }).status === 0;
    if (!linked && spawnSync('cp', ['-a', ...sources, copy], { stdio: 'inherit' }).status !== 0) throw new Error(`cannot copy the checkout to ${copy}`);
    bin = join(copy, 'bin', 'tributary.js');
  }
  binsByUser.set(options.uid, bin);
  return bin;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the installed CLI entry (bin/tributary.js) to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runBin(BIN, args, { env: { ...process.env, ...env } });
}

/** Runs a CLI entry (this checkout's, or a copy's) to completion, collecting its output. */
export function runBin(bin: string, args: string[], options: ProcessOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface RunningService {
  child: ChildProcess;
  base: string;
  stderr: () => string;
  /** resolves with the exit code (null when killed) and the signal that killed it, if any */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop: () => Promise<number | null>;
}

export interface SpawnOptions {
  /** run the child as this user and group (the test runner may be root, whom file modes do not stop) */
  uid?: number;
  gid?: number;
}

/** Spawns the CLI without waiting; the caller decides when (and how hard) to stop it. */
export function spawnCli(args: string[], env: Record<string, string> = {}, options: SpawnOptions = {}): ChildProcess {
  const bin = binFor(options);
  // A user who cannot enter the checkout cannot work in it either (esbuild, under tsx, is spawned there).
  const cwd = bin === BIN ? {} : { cwd: join(bin, '..', '..') };
  return spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...cwd, ...options });
}

/** Starts `tributary serve --port 0` and resolves once it logs the port it listens on. */
export function startService(args: string[], env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<RunningService> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(['serve', '--port', '0', ...args], env, options);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.once('close', (code, signal) => done({ code, signal }));
    });
    let stderr = '';
    let started = false;
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${stderr}`)), 15_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      // Once started, the log is only collected: matching all of it again at every chunk grew with its square.
      if (started) return;
      const match = stderr.match(/"port":(\d+)[^\n]*"msg":"serving on/);
      if (match) {
        started = true;
        clearTimeout(timer);
        resolve({
          child,
          base: `http://127.0.0.1:${match[1]}`,
          stderr: () => stderr,
          exited,
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done(child.exitCode);
            child.once('close', (code) => done(code));
            child.kill('SIGTERM');
          }),
        });
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${stderr}`));
    });
  });
}
