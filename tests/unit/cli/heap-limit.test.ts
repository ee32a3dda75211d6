// watchHeapLimit's check(), called by a load every few hundred items (issue 15: a store too big for the heap must end
// the start with an error, not a V8 abort). Each case runs in a child Node with a 48 MiB old generation, the size at
// which the observer alone let V8 abort one start in three on a busy machine.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The compiled module (dist/ is built from src/ before the tests run, tests/setup/build-dist.ts): a child through tsx
// spent about a CPU-second starting tsx and esbuild before it ran anything.
const MODULE = fileURLToPath(new URL('../../../dist/cli/heap-limit.js', import.meta.url));

/** Runs `body` (with watchHeapLimit in scope as `watch`) in a child with a small heap; its stdout and how it ended. */
function run(body: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const script = `const { watchHeapLimit: watch } = await import(${JSON.stringify(MODULE)});\n${body}`;
  const child = spawn(process.execPath, ['--max-old-space-size=48', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('watchHeapLimit check()', () => {
  it('stops a synchronous load that keeps what it reads before V8 aborts, saying how full the heap was', async () => {
    // Items kept in an array with no turn of the event loop between them: the observer's callback never runs.
    const ended = await run(`
      const kept = [];
      const watch_ = watch((heap) => { console.log(JSON.stringify(heap)); process.exit(3); });
      for (let i = 0; ; i++) {
        kept.push({ id: 'item ' + i, title: 'story number ' + i + ' of the council and the weather', n: [i, i + 1, i + 2] });
        if (i % 256 === 255) watch_.check();
      }
    `);
    expect(ended.stderr).not.toContain('FATAL ERROR');
    expect(ended.signal).toBeNull();
    expect(ended.code).toBe(3);
    const heap = JSON.parse(ended.stdout) as { usedMiB: number; limitMiB: number };
    expect(heap.limitMiB).toBe(48);
    expect(heap.usedMiB).toBeGreaterThan(48 * 0.7);
    expect(heap.usedMiB).toBeLessThan(48);
  }, 60_000);

  it('does not stop a load whose heap fills with garbage but keeps little', async () => {
    // Many times the heap's size allocated, each kept for a while then dropped: only what survives counts.
    const ended = await run(`
      const watch_ = watch((heap) => { console.log('full', JSON.stringify(heap)); process.exit(3); });
      let window = [];
      for (let i = 0; i < 3_000_000; i++) {
        window.push({ id: 'item ' + i, title: 'story number ' + i + ' of the council and the weather' });
        if (window.length === 100_000) window = [];
        if (i % 256 === 255) watch_.check();
      }
      watch_.stop();
      console.log('done');
    `);
    expect(ended.stderr).not.toContain('FATAL ERROR');
    expect(ended.stdout.trim()).toBe('done');
    expect(ended.code).toBe(0);
  }, 60_000);
});
