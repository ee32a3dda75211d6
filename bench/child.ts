// Benchmark work that must not share a process with what measures it: each measured step runs in a fresh Node
// process (its peak RSS and its garbage are its own), and each server in its own process (the load generator
// does not steal its CPU).
import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const TSX = ['--import', 'tsx'];

export function benchFile(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

export interface ChildOptions {
  env?: Record<string, string>;
  /** node flags such as --expose-gc */
  nodeArgs?: string[];
}

/** Runs bench/<script> in a fresh process and parses the one JSON line it prints on stdout. */
export function runChild<T>(script: string, args: string[], options: ChildOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...TSX, benchFile(script), ...args], {
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
  });
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
export function startServerChild(script: string, args: string[]): Promise<ServerChild> {
  const child = spawn(process.execPath, [...TSX, benchFile(script), ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
