// Readability and linkedom load where an item page's article is extracted: in a read worker, with the first page,
// and not at all in a service whose sources have no fullText. Asserted on what is loaded: a loader hook, registered
// in every thread of the spawned `fetch --once` (workers inherit --import), reports each module with its thread.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledModules, bundleUrl } from '../helpers/bundle-modules.ts';
import { BIN } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';

/**
 * Prints "LOADED <threadId> <url>" on stderr for every module a thread loads (0: the main thread). Written to fd 2
 * at once: a hook's process.stderr is a stream the process may exit before flushing (the bundled fetch --once ends
 * soon after its worker loaded the extraction chunks, and their lines were lost).
 */
const TRACE = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; import { threadId } from 'node:worker_threads';
register('data:text/javascript,' + encodeURIComponent('import { writeSync } from "node:fs"; let thread; export function initialize(data) { thread = data.thread; } export async function load(url, context, next) { writeSync(2, "LOADED " + thread + " " + url + "\\\\n"); return next(url, context); }'), { data: { thread: threadId } });`)}`;

/** The modules of extraction: the DOM, Readability and the extractor itself. */
const EXTRACTION = /\/node_modules\/(linkedom|@mozilla\/readability)\/|\/fulltext\/extract\.js$/;

const fx = new FixtureServer();
let dir: string;

beforeAll(async () => {
  await fx.start();
  dir = mkdtempSync(join(tmpdir(), 'tributary-full-text-imports-'));
  fx.routes.set('/feed.xml', {
    headers: { 'content-type': 'application/rss+xml' },
    body: `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>${fx.url('/')}</link>
<item><guid isPermaLink="false">a</guid><title>A story</title><link>${fx.url('/a')}</link><description>The feed's line.</description></item></channel></rss>`,
  });
  fx.routes.set('/a', { headers: { 'content-type': 'text/html' }, body: `<html><head><title>A story</title></head><body><article><p>${'Words of the whole story. '.repeat(20)}</p></article></body></html>` });
});

afterAll(async () => {
  await fx.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** cheerio: what a `type: html` source's list is read with (read-page.ts), and extraction's select/remove. */
const CHEERIO = /\/node_modules\/cheerio\//;

async function fetchOnce(name: string, fullText: boolean): Promise<{ code: number | null; extraction: { thread: string; url: string }[]; cheerio: { thread: string; url: string }[] }> {
  const config = join(dir, `${name}.yaml`);
  writeFileSync(config, `baseUrl: http://127.0.0.1:8080\nsources:\n  - id: wire\n    url: ${fx.url('/feed.xml')}\n${fullText ? '    fullText: true\n' : ''}`);
  const child = spawn(process.execPath, ['--import', TRACE, BIN, 'fetch', '--once', '--config', config, '--data', join(dir, `${name}-data`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  // A chunk of the bundle the CLI runs counts as every module it holds (tests/helpers/bundle-modules.ts).
  const modules = bundledModules(bundleUrl());
  const loaded = [...stderr.matchAll(/^LOADED (\d+) (\S+)$/gm)].flatMap((m) => modules(m[2]!).map((url) => ({ thread: m[1]!, url })));
  // The probe must see the workers' modules at all, or "nothing loaded" would prove nothing.
  expect(loaded.some((m) => m.thread !== '0' && m.url.endsWith('/workers/read-worker.js'))).toBe(true);
  return { code, extraction: loaded.filter((m) => EXTRACTION.test(m.url)), cheerio: loaded.filter((m) => CHEERIO.test(m.url)) };
}

describe('full-text extraction modules', () => {
  it('are not loaded by a cycle whose sources have no fullText, on any thread, nor cheerio when no source is a web page', async () => {
    const { code, extraction, cheerio } = await fetchOnce('plain', false);
    expect(code).toBe(0);
    expect(extraction).toEqual([]);
    // A read worker loads cheerio with the first list of a `type: html` source, not at its start (~0.3 CPU-s of ~0.9).
    expect(cheerio).toEqual([]);
  });

  it('load in a read worker, not on the main thread, when a page is extracted', async () => {
    const { code, extraction } = await fetchOnce('full', true);
    expect(code).toBe(0);
    const urls = extraction.map((m) => m.url);
    expect(urls.some((url) => url.includes('/node_modules/linkedom/'))).toBe(true);
    expect(urls.some((url) => url.includes('/node_modules/@mozilla/readability/'))).toBe(true);
    expect(extraction.filter((m) => m.thread === '0')).toEqual([]);
  });
});
