import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/tributary.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the installed CLI entry (bin/tributary.js) to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
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
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** Starts `tributary serve --port 0` and resolves once it logs the port it listens on. */
export function startService(args: string[], env: Record<string, string> = {}, options: SpawnOptions = {}): Promise<RunningService> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(['serve', '--port', '0', ...args], env, options);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      child.once('close', (code, signal) => done({ code, signal }));
    });
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${stderr}`)), 15_000);
    child.stderr!.on('data', (d) => {
      stderr += d;
      const match = stderr.match(/"port":(\d+)[^\n]*"msg":"serving on/);
      if (match) {
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
