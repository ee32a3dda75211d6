// Starting `tributary serve` on a store that takes long to load, or that the JavaScript heap cannot hold (issue 15: at
// 1M items the load takes minutes, and one start in four ended before it answered). A store too big for the heap
// Node allows ends the start with an error naming the file and what to change, instead of V8 aborting the process
// with "FATAL ERROR: … heap out of memory"; a stop signal while the store loads stops the service at once instead of
// after the whole load (a restart would wait for it, holding the data directory's lock and the port meanwhile).
// The heap is made small here (--max-old-space-size) so that a store of ~28 MB does not fit.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../src/model.ts';
import { ItemStore } from '../../src/store/store.ts';
import { spawnCli } from '../helpers/cli.ts';
import { plain } from '../helpers/plain-text.ts';

const SOURCES = 100;
const ITEMS = 30_000;

function item(n: number): Item {
  const sourceId = `source-${n % SOURCES}`;
  const day = new Date(Date.UTC(2025, 0, 1) + n * 60_000).toISOString();
  return {
    id: `tag:big.test,2025:${sourceId}/${n}`, sourceId, key: `g:${n}`, title: plain(`${sourceId} story ${n}: markets, weather and the council`),
    link: `https://${sourceId}.example.org/news/${n}.html`, published: day, updated: day, firstSeen: day,
    summary: `<p>Story ${n} of ${sourceId}. The council met on Sunday to discuss the budget, the weather was mild and markets `
      + 'closed higher.</p><p>More text follows here, as news items usually carry a paragraph or two of summary before the link '
      + 'to the full article, and a few more words so that each item is about a kilobyte of JSON.</p>',
    categories: [plain('news')], enclosures: [], alsoIn: [], hash: `h${n}`,
  };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Starts serve; `onListening` runs once it logged "listening on"; resolves when the process has ended. */
function serve(config: string, data: string, env: Record<string, string>, onListening: (kill: (signal: NodeJS.Signals) => void) => void = () => {}): Promise<Run> {
  const child = spawnCli(['serve', '--port', '0', '--config', config, '--data', data], env);
  let stderr = '';
  let listening = false;
  child.stderr!.on('data', (d) => {
    stderr += d;
    if (!listening && stderr.includes('"msg":"listening on')) {
      listening = true;
      onListening((signal) => child.kill(signal));
    }
  });
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal, stderr })));
}

describe('serve on a store that is slow to load or too big for the heap', () => {
  let dir: string;
  let config: string;
  let data: string;
  let storeFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tributary-big-store-'));
    config = join(dir, 'sources.yaml');
    writeFileSync(config, ['title: Big', 'baseUrl: http://feeds.big.test', 'retention:', '  maxItemsPerSource: 1000', 'sources:',
      ...Array.from({ length: SOURCES }, (_, s) => `  - { id: source-${s}, url: "http://127.0.0.1:9/${s}.xml" }`)].join('\n'));
    data = join(dir, 'data');
    const store = await ItemStore.open(data, { backups: 0 });
    store.apply(Array.from({ length: ITEMS }, (_, n) => item(n)), []);
    await store.commit();
    storeFile = store.file;
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ends the start with an error naming the store file and the heap setting, not an abort, when the store does not fit', async () => {
    const before = statSync(storeFile);
    const run = await serve(config, data, { NODE_OPTIONS: '--max-old-space-size=48' });
    expect(run.stderr).not.toContain('FATAL ERROR');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`store file ${storeFile}`);
    expect(run.stderr).toContain('does not fit in the memory this process may use');
    expect(run.stderr).toMatch(/NODE_OPTIONS=--max-old-space-size=\d+/);
    expect(run.stderr).not.toContain('"msg":"store loaded"');
    // Nothing written, and the data directory free for the next start.
    const after = statSync(storeFile);
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    expect(existsSync(join(data, 'writer.lock'))).toBe(false);
  }, 120_000);

  it('stops at once on SIGTERM while the store loads, writing nothing and freeing the data directory', async () => {
    const before = statSync(storeFile);
    const run = await serve(config, data, {}, (kill) => kill('SIGTERM'));
    expect(run.signal).toBeNull();
    expect(run.code).toBe(0);
    // Stopped before the store was loaded: it never said so, and said why it stopped.
    expect(run.stderr).not.toContain('"msg":"store loaded"');
    expect(run.stderr).toContain('stopped while the store was loading');
    const after = statSync(storeFile);
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    expect(existsSync(join(data, 'writer.lock'))).toBe(false);
  }, 120_000);
});
