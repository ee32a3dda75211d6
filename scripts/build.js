// Compiles src/**/*.ts to dist/**/*.js (one file per module, the same tree) so a start loads plain JavaScript
// instead of transpiling every module through tsx. bin/tributary.js calls ensureBuilt() at each start; `npm run
// build` (this file run directly) forces a build.
//
// One output file per module, not a bundle: code finds files beside itself through import.meta.url (serve/
// feed-style.xsl, worker entries started with `new Worker(new URL('./x.ts', import.meta.url))`), and those
// relative paths only hold when dist/ mirrors src/. Resolving ~130 small files costs a few milliseconds more than
// one bundle would; the transpile it replaces cost about two seconds.
//
// How src/ refers to its own modules, so both tsx/vitest (which run the .ts files) and dist/ work:
// - imports (static or `import('./x.ts')` with a literal) name the .ts file; the build rewrites them to .js;
// - a file started by URL is written `new URL('./x.ts', import.meta.url)` (literally, relative, on one line); the
//   build rewrites that literal to './x.js' too. A computed path is not rewritten: pick the extension from
//   import.meta.url instead (`import.meta.url.endsWith('.ts') ? '.ts' : '.js'`);
// - any other file under src/ (not .ts) is copied beside its module.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** Written last into dist/: the fingerprint of the inputs dist/ was built from. */
const STAMP = '.build-stamp';
/** Inputs besides src/ that change what the build writes. */
const BUILD_INPUTS = [fileURLToPath(import.meta.url), join(ROOT, 'tsconfig.json')];
/** Errors that mean "this checkout is not ours to write" (read-only install, other owner): run through tsx. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Every file under dir, depth first, in a stable order. */
function listFiles(dir) {
  const files = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(path));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * What the inputs look like now: the count of files and the sums of their sizes and mtimes. Any edit, added,
 * removed or renamed file changes it (a file put back with an older mtime too, which "newest mtime" would miss),
 * and a clock that was wrong when a file was written cannot make every start rebuild. Costs one stat per file.
 */
export function fingerprint() {
  const files = [...listFiles(SRC), ...BUILD_INPUTS];
  let size = 0;
  let mtime = 0;
  for (const file of files) {
    const stat = statSync(file);
    size += stat.size;
    mtime += Math.round(stat.mtimeMs);
  }
  return `${files.length}:${size}:${mtime}`;
}

/** true when dist/ holds a complete build of the sources as they are now */
export function isBuilt(print = fingerprint()) {
  try {
    return readFileSync(join(DIST, STAMP), 'utf8') === print;
  } catch {
    return false;
  }
}

/** `new URL('./x.ts', import.meta.url)`: a module started by URL (worker entry), named by its source file. */
const MODULE_URL = /new URL\((['"])(\.{1,2}\/[^'"\n]+)\.ts\1(\s*,\s*import\.meta\.url\s*\))/g;

/**
 * Every import stays an import of a file (nothing is bundled): packages as they are, relative .ts paths as .js.
 * esbuild resolves imports only when bundling, hence `bundle: true` with everything external.
 */
const perModule = {
  name: 'per-module',
  setup(build) {
    build.onResolve({ filter: /^\.{1,2}\// }, (args) => ({ path: args.path.replace(/\.ts$/, '.js'), external: true }));
    build.onLoad({ filter: /\.ts$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(MODULE_URL, (_, quote, path, rest) => `new URL(${quote}${path}.js${quote}${rest}`),
      loader: 'ts',
    }));
  },
};

/** Compiles src/ into a fresh dist/ (built aside, then swapped in, so a start never sees half a build). */
export async function build() {
  const print = fingerprint();
  const { build: esbuild } = await import('esbuild');
  const files = listFiles(SRC);
  const out = join(ROOT, `.dist-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(out);
  try {
    await esbuild({
      absWorkingDir: ROOT,
      entryPoints: files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')),
      outdir: out,
      outbase: SRC,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node.split('.')[0]}`,
      // Linked maps cost nothing at start; NODE_OPTIONS=--enable-source-maps turns stacks back into .ts lines.
      sourcemap: 'linked',
      logLevel: 'error',
      plugins: [perModule],
    });
    for (const file of files.filter((file) => !file.endsWith('.ts'))) {
      const target = join(out, relative(SRC, file));
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
    }
    writeFileSync(join(out, STAMP), print);
    swapIn(out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Replaces dist/ by the finished build: the old one is renamed away first, as a directory cannot be renamed over. */
function swapIn(out) {
  const old = join(ROOT, `.dist-old-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    renameSync(DIST, old);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  try {
    renameSync(out, DIST);
  } catch (err) {
    // Another start swapped its build in between: it was built from the same sources, keep it.
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  }
  rmSync(old, { recursive: true, force: true });
}

/**
 * The compiled CLI entry, built first when dist/ is missing or older than the sources; null when it cannot be
 * built here (a read-only checkout, another user's): the caller then runs the sources through tsx, as before
 * dist/ existed. A build that fails for another reason (a syntax error) is reported, and tsx runs the sources.
 */
export async function ensureBuilt() {
  const entry = pathToFileURL(join(DIST, 'cli', 'entry.js')).href;
  try {
    if (isBuilt()) return entry;
    await build();
    return entry;
  } catch (err) {
    if (!NOT_WRITABLE.has(err.code)) process.stderr.write(`tributary: cannot build dist/ (${err.message.split('\n')[0]}); running src/ through tsx\n`);
    return null;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build();
}
