import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir, StoreLockedError } from '../../../src/store/writer-lock.ts';

/** A real process: alive until `stop`, after which its pid names no process. */
function otherProcess(): { pid: number; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return {
    pid: child.pid!,
    stop: () => new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }),
  };
}

const holderOf = (pid: number, command = 'serve') => JSON.stringify({ pid, command, since: '2025-03-10T12:00:00.000Z' });

describe('lockDataDir', () => {
  it('names this process in data/writer.lock while held, and removes it on release', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-lock-'));
    const lock = await lockDataDir(join(dir, 'data'), 'prune');
    expect(lock.held).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'data', LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, command: 'prune' });
    lock.release();
    expect(existsSync(join(dir, 'data', LOCK_FILE))).toBe(false);
  });

  it('refuses while another live process holds it, naming that process and the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-lock-'));
    const other = otherProcess();
    try {
      writeFileSync(join(dir, LOCK_FILE), holderOf(other.pid));
      const refused = await lockDataDir(dir, 'prune').catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(StoreLockedError);
      expect((refused as Error).message).toBe(`the data directory ${dir} is in use by "tributary serve" (pid ${other.pid}, since 2025-03-10T12:00:00.000Z): stop it first. If no such process runs any more, delete ${join(dir, LOCK_FILE)}.`);
      expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(holderOf(other.pid));
    } finally {
      await other.stop();
    }
  });

  it('takes over the lock of a process that is gone (killed, a power cut)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-lock-'));
    const gone = otherProcess();
    await gone.stop();
    writeFileSync(join(dir, LOCK_FILE), holderOf(gone.pid));
    const lock = await lockDataDir(dir, 'serve');
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('counts an unreadable lock as being written while it is new, and as stale once old', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-lock-'));
    writeFileSync(join(dir, LOCK_FILE), '');
    await expect(lockDataDir(dir, 'serve')).rejects.toBeInstanceOf(StoreLockedError);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    const lock = await lockDataDir(dir, 'serve');
    expect(lock.held).toBe(true);
    lock.release();
  });
});
