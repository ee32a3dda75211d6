// `tributary check` loads the config loader and nothing of the pipeline: importing every command's module (the
// store, the renderer, cheerio, undici, sanitize-html) took most of a second before a three-line file was read.
// Asserted on what is loaded, not on time: a loader hook in the spawned process reports every module it loads. The
// CLI runs from dist/bundle/ (scripts/build.js), whose chunks each hold several modules: a chunk loaded counts as
// every module it holds (dist/bundle/inputs.json), so a module is seen whichever chunk it was put in. dist/ links to
// the build's own directory (scripts/generations.js), the path Node loads the chunks by.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.ts';

/** Registers a load hook that prints "LOADED <url>" on stderr for every module (ESM, or CommonJS imported from ESM). */
const TRACE = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function load(url, context, next) { process.stderr.write("LOADED " + url + "\\\\n"); return next(url, context); }'));`)}`;

let dir: string;

const CHECKOUT = pathToFileURL(join(BIN, '..', '..')).href + '/';
const BUNDLE = `${pathToFileURL(realpathSync(join(BIN, '..', '..', 'dist'))).href}/bundle/`;

/**
 * The modules behind the URLs loaded: a chunk of dist/bundle/ stands for the dist/ files it holds, and for the
 * packages it holds files of (named by their directory: as before the bundle, where the hook saw a package's entry
 * but not the files that entry require()s).
 */
function modulesOf(urls: string[]): string[] {
  const inputs = JSON.parse(readFileSync(new URL('inputs.json', BUNDLE), 'utf8')) as Record<string, string[]>;
  const modules = urls.flatMap((url) => {
    if (!url.startsWith(BUNDLE)) return [url];
    return (inputs[url.slice(BUNDLE.length)] ?? [url]).map((path) => {
      const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
      return CHECKOUT + (pkg ? `node_modules/${pkg[1]}/` : path);
    });
  });
  return [...new Set(modules)];
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
      resolve({ code, stdout, bundled: urls.some((url) => url.startsWith(BUNDLE)), loaded: modulesOf(urls) });
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
