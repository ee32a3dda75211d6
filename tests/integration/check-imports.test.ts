// `tributary check` loads the config loader and nothing of the pipeline: importing every command's module (the
// store, the renderer, cheerio, undici, sanitize-html) took most of a second before a three-line file was read.
// Asserted on what is loaded, not on time: a loader hook in the spawned process reports every module it loads, a
// chunk of the bundle the CLI runs counting as every module it holds (tests/helpers/bundle-modules.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledModules, bundleUrl } from '../helpers/bundle-modules.ts';
import { BIN } from '../helpers/cli.ts';

/** Registers a load hook that prints "LOADED <url>" on stderr for every module (ESM, or CommonJS imported from ESM). */
const TRACE = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function load(url, context, next) { process.stderr.write("LOADED " + url + "\\\\n"); return next(url, context); }'));`)}`;

let dir: string;

/** The modules behind the URLs loaded (tests/helpers/bundle-modules.ts). */
function modulesOf(urls: string[]): string[] {
  return [...new Set(urls.flatMap(bundledModules(bundleUrl())))];
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tributary-check-imports-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function loadedBy(args: string[]): Promise<{ code: number | null; stdout: string; bundled: boolean; loaded: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TRACE, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const urls = [...stderr.matchAll(/^LOADED (\S+)$/gm)].map((m) => m[1]!);
      resolve({ code, stdout, bundled: urls.some((url) => url.startsWith(bundleUrl())), loaded: modulesOf(urls) });
    });
  });
}

describe('tributary check', () => {
  it('loads the config loader only: no command but its own, no store (but its error classes), renderer, HTTP client or HTML parser', async () => {
    const config = join(dir, 'sources.yaml');
    writeFileSync(config, 'sources:\n  - id: wire\n    url: https://news.example.org/feed.xml\n');
    const { code, stdout, bundled, loaded } = await loadedBy(['check', '--config', config]);
    expect(code).toBe(0);
    expect(bundled).toBe(true);
    expect(stdout).toContain('ok, 1 sources');
    // The hook works: the compiled config loader is among what it saw.
    expect(loaded.some((url) => url.endsWith('/dist/config/load.js'))).toBe(true);
    const unneeded = loaded.filter((url) => /\/dist\/(app|fetch-cycle|site-render|ingest)\.js$|\/dist\/store\/(?!errors\.js)|\/dist\/(render|fetch\/fetch-source|parse|workers|serve)\/|\/dist\/cli\/(serve|lifecycle|fetch-once|inspect|discover|prune|import-opml)/.test(url)
      || /\/node_modules\/(cheerio|undici|sanitize-html|lowdb|pino|feed|rss-parser|prom-client)\//.test(url));
    expect(unneeded).toEqual([]);
  }, 30_000);
});
