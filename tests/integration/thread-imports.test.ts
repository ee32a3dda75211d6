// Each thread of a cycle loads the packages of its own work, and not the others': the serving thread fetches,
// dedupes, stores and renders, and parses nothing (its read workers do); a read worker parses and normalizes, and
// reads no config file. Loading the others' cost every start: the serving thread compiled and ran rss-parser,
// xml2js, sanitize-html and htmlparser2 (~0.1 CPU-s), each read worker zod, node-cron and re2js with the whole config
// schema (~0.1 CPU-s of its ~0.27). Asserted on what is loaded: a loader hook in every thread of the spawned
// `fetch --once` (workers inherit --import) reports each module with its thread.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledModules, bundleUrl } from '../helpers/bundle-modules.ts';
import { BIN } from '../helpers/cli.ts';
import { FixtureServer } from '../helpers/fixture-server.ts';

/** Prints "LOADED <threadId> <url>" on fd 2 for every module a thread loads (0: the main thread). */
const TRACE = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; import { threadId } from 'node:worker_threads';
register('data:text/javascript,' + encodeURIComponent('import { writeSync } from "node:fs"; let thread; export function initialize(data) { thread = data.thread; } export async function load(url, context, next) { writeSync(2, "LOADED " + thread + " " + url + "\\\\n"); return next(url, context); }'), { data: { thread: threadId } });`)}`;

/**
 * What reads a feed document: the parsers, the HTML sanitizer and what they bring (not sax: xml-js reads OPML
 * config files with it; not parse/errors.js: the cycle tells a parse error by its class).
 */
const READING = /\/node_modules\/(rss-parser|xml2js|htmlparser2|sanitize-html|postcss)\/|\/dist\/(parse\/(?!errors\.js)|normalize\/(html|normalize-item)\.js|read-document\.js)/;
/** What reads a config file: the schema and its validators. */
const CONFIG = /\/node_modules\/(zod|node-cron|re2js|yaml)\/|\/dist\/config\/(schema|load)\.js$/;

const fx = new FixtureServer();
let dir: string;

beforeAll(async () => {
  await fx.start();
  dir = mkdtempSync(join(tmpdir(), 'tributary-thread-imports-'));
  fx.routes.set('/feed.xml', {
    headers: { 'content-type': 'application/rss+xml' },
    body: `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>${fx.url('/')}</link>
<item><guid isPermaLink="false">a</guid><title>A &lt;b&gt;bold&lt;/b&gt; story</title><link>${fx.url('/a')}</link><description>&lt;p&gt;The feed's &lt;em&gt;line&lt;/em&gt;.&lt;/p&gt;</description></item>
<item><guid isPermaLink="false">b</guid><link>${fx.url('/b')}</link><description>&lt;p&gt;An untitled item, named by its summary.&lt;/p&gt;</description></item></channel></rss>`,
  });
});

afterAll(async () => {
  await fx.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('what each thread of fetch --once loads', () => {
  it('the serving thread no feed parser or sanitizer; a read worker no config schema', async () => {
    const config = join(dir, 'sources.yaml');
    writeFileSync(config, `baseUrl: http://127.0.0.1:8080\nsources:\n  - id: wire\n    url: ${fx.url('/feed.xml')}\n`);
    const child = spawn(process.execPath, ['--import', TRACE, BIN, 'fetch', '--once', '--config', config, '--data', join(dir, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', resolve);
    });
    expect(code).toBe(0);
    expect(stderr).toContain('2 new');
    const modules = bundledModules(bundleUrl());
    const loaded = [...stderr.matchAll(/^LOADED (\d+) (\S+)$/gm)].flatMap((m) => modules(m[2]!).map((url) => ({ thread: m[1]!, url })));
    const main = loaded.filter((m) => m.thread === '0').map((m) => m.url);
    const workers = loaded.filter((m) => m.thread !== '0').map((m) => m.url);
    // The probe sees both sides, or "nothing loaded" would prove nothing: the worker read the document, the main
    // thread loaded the config and the fetcher.
    expect(workers.some((url) => url.endsWith('/dist/workers/read-worker.js'))).toBe(true);
    expect(workers.some((url) => url.includes('/node_modules/rss-parser/'))).toBe(true);
    expect(main.some((url) => url.includes('/node_modules/zod/'))).toBe(true);
    expect(main.some((url) => url.endsWith('/dist/fetch/fetch-source.js'))).toBe(true);
    expect(main.filter((url) => READING.test(url))).toEqual([]);
    expect(workers.filter((url) => CONFIG.test(url))).toEqual([]);
  }, 30_000);
});
