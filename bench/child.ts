// Benchmark work that must not share a process with what measures it: each measured step runs in a fresh Node
// process (its peak RSS and its garbage are its own), and each server in its own process (the load generator
// does not steal its CPU).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as esbuild, type Plugin } from 'esbuild';
import { ensureBuilt } from '../scripts/build.js';

const TSX = ['--import', 'tsx'];
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** where the compiled bench scripts go (ignored by git, like dist/); inside the checkout so packages resolve */
const COMPILED = join(ROOT, '.dist-bench');

export function benchFile(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

/**
 * Imports of src/*.ts become imports of the compiled module in dist/, left for Node to load. scripts/build.js stays
 * a file of its own too: bundled, its import.meta.url named the bench script, so its fingerprint of dist/'s inputs
 * (which counts build.js itself) never matched the one in dist/.build-stamp, and every bench child that checked
 * dist/ rebuilt it; the next CLI start, seeing the bench child's stamp, rebuilt it again (about 20 builds in the first
 * two minutes of a full test run, each seconds of CPU, and dist/ swapped under running processes).
 */
const BUILD_SCRIPT = join(ROOT, 'scripts', 'build.js');
const srcFromDist: Plugin = {
  name: 'src-from-dist',
  setup(build) {
    build.onResolve({ filter: /\.ts$/ }, (args) => {
      const path = resolve(args.resolveDir, args.path);
      if (!path.startsWith(SRC + sep)) return undefined;
      return { path: join(DIST, relative(SRC, path)).replace(/\.ts$/, '.js'), external: true };
    });
    build.onResolve({ filter: /\/build\.js$/ }, (args) => {
      if (resolve(args.resolveDir, args.path) !== BUILD_SCRIPT) return undefined;
      return { path: relative(COMPILED, BUILD_SCRIPT).split(sep).join('/'), external: true };
    });
  },
};

const compiled = new Map<string, Promise<string[]>>();

/**
 * The node arguments that run bench/<script>: its compiled copy (the script and the bench files it imports in one
 * file, src/ from the compiled dist/, packages from node_modules), built once per process, as the service itself
 * starts; through tsx when dist/ cannot be built here. A child started through tsx spends about a CPU-second
 * transpiling before it does anything, which the measuring process's neighbours pay for.
 */
export function benchCommand(script: string): Promise<string[]> {
  let command = compiled.get(script);
  if (!command) {
    command = (async () => {
      if (!(await ensureBuilt())) return [...TSX, benchFile(script)];
      const outfile = join(COMPILED, script.replace(/\.ts$/, '.mjs'));
      mkdirSync(COMPILED, { recursive: true });
      // Written beside and renamed: another process may be starting the same script meanwhile.
      const partial = `${outfile}.${process.pid}.partial`;
      await esbuild({
        entryPoints: [benchFile(script)], outfile: partial, bundle: true, format: 'esm', platform: 'node', target: 'node20',
        packages: 'external', plugins: [srcFromDist], logLevel: 'error',
      });
      renameSync(partial, outfile);
      return [outfile];
    })();
    compiled.set(script, command);
  }
  return command;
}

export interface ChildOptions {
  env?: Record<string, string>;
  /** node flags such as --expose-gc */
  nodeArgs?: string[];
}

/** Runs bench/<script> in a fresh process and parses the one JSON line it prints on stdout. */
export function runChild<T>(script: string, args: string[], options: ChildOptions = {}): Promise<T> {
  return benchCommand(script).then((command) => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...command, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...options.env },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench/${script} ${args.join(' ')} exited ${code}`));
      try {
        resolve(JSON.parse(out) as T);
      } catch {
        reject(new Error(`bench/${script} printed no JSON: ${out.slice(0, 200)}`));
      }
    });
  }));
}

/** The highest RSS this process reached, in MiB. */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** A server running in a child process started by startServerChild. */
export interface ServerChild {
  port: number;
  pid: number;
  /** CPU time (user + system) the server process has used so far, in ms, and its peak RSS */
  cpuMs(): Promise<{ cpuMs: number; peakRssMiB: number }>;
  stop(): Promise<void>;
}

type ChildMessage = { port: number } | { cpuMs: number; peakRssMiB: number };

/** Starts bench/<script>, which calls serveParent() once listening. */
/**
 * Node flags of a serving Tributary, as `npm start` and the Docker image run it: without V8's memory reducer, whose
 * full collection after an idle spell left every request ~30% costlier for good (a 304: 48 -> 64 µs of CPU, from
 * ~105 s after the start; 49-51 µs throughout with the flag).
 */
export const SERVICE_NODE_FLAGS = ['--no-memory-reducer'];

export async function startServerChild(script: string, args: string[]): Promise<ServerChild> {
  // BENCH_SERVICE_ARGS: more node flags for Tributary's own processes (not the bare server), e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const nodeArgs = script === 'bare-server.ts' ? [] : [...SERVICE_NODE_FLAGS, ...process.env.BENCH_SERVICE_ARGS?.split(' ').filter(Boolean) ?? []];
  const child = spawn(process.execPath, [...nodeArgs, ...(await benchCommand(script)), ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = () => new Promise<ChildMessage>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench/${script} exited ${code}`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as ChildMessage);
    });
  });
  return next().then((ready) => ({
    port: (ready as { port: number }).port,
    pid: child.pid!,
    cpuMs: async () => {
      const reply = next();
      child.send('cpu');
      return (await reply) as { cpuMs: number; peakRssMiB: number };
    },
    stop: () => stopChild(child),
  }));
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** The child's side of startServerChild: reports the port, answers CPU questions, closes on SIGTERM. */
export function serveParent(server: Server | AddressInfo, close: () => Promise<void>): void {
  const address = 'port' in server ? server : (server.address() as AddressInfo);
  process.on('message', (message) => {
    if (message !== 'cpu') return;
    const { user, system } = process.cpuUsage();
    process.send!({ cpuMs: (user + system) / 1000, peakRssMiB: peakRssMiB() });
  });
  const stop = () => close().then(() => process.exit(0), () => process.exit(1));
  process.on('SIGTERM', stop);
  // A bench that died without stopping its servers must not leave them running.
  process.on('disconnect', stop);
  process.send!({ port: address.port });
}
