// Compiles src/**/*.ts to dist/**/*.js (one file per module, the same tree) so a start loads plain JavaScript
// instead of transpiling every module through tsx. bin/tributary.js calls ensureBuilt() at each start; `npm run
// build` (this file run directly) forces a build.
//
// One output file per module (dist/ mirrors src/), and beside it dist/bundle/: the CLI and the two worker entries
// bundled with their packages, split into chunks so a command still loads only what it imports. A start runs the
// bundle: loading ~130 dist/ files and ~300 package files one by one (resolving, reading and compiling each, the
// CommonJS ones through Node's wrapper) was most of a short command's CPU: `check` 0.5 s, `inspect` 0.95 s; bundled
// 0.3 s and 0.55 s. In the bundle, a module's import.meta.url still names its file in dist/, so what code finds
// beside itself (serve/feed-style.xsl, package.json, createRequire) is where it was; only workers/start-worker.js
// keeps the bundle's own URL, so it starts the bundled worker entries beside it.
//
// dist/ is a link to the directory of one build (a generation, scripts/generations.js): a rebuild writes a new one
// and leaves the old one to the processes still running it. A chunk's name is a hash of its text, and nothing of the
// build's own directory or time gets into the text, so the same sources give the same chunk names
// (tests/integration/build-generations.test.ts).
//
// How src/ refers to its own modules, so both tsx/vitest (which run the .ts files) and dist/ work:
// - imports (static or `import('./x.ts')` with a literal) name the .ts file; the build rewrites them to .js;
// - a file started by URL is written `new URL('./x.ts', import.meta.url)` (literally, relative, on one line); the
//   build rewrites that literal to './x.js' too. A computed path is not rewritten: pick the extension from
//   import.meta.url instead (`import.meta.url.endsWith('.ts') ? '.ts' : '.js'`);
// - any other file under src/ (not .ts) is copied beside its module.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { newGeneration, pointDistAt, pruneGenerations, registerUser } from './generations.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
/** Written last into a build: the fingerprint of the inputs it was built from. */
const STAMP = '.build-stamp';
/** Inputs besides src/ that change what the build writes. */
const BUILD_INPUTS = [fileURLToPath(import.meta.url), fileURLToPath(new URL('generations.js', import.meta.url)), join(ROOT, 'tsconfig.json')];
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

/** What dist/bundle/ holds: the CLI and the worker entries start-worker.js starts, by their names there. */
const BUNDLE_ENTRIES = {
  tributary: 'cli/entry.js', 'worker-boot': 'workers/worker-boot.js', 'read-worker': 'workers/read-worker.js', 'render-worker': 'workers/render-worker.js',
};
/**
 * Packages left to node_modules: pino and thread-stream start transport workers by file path (none is used, but
 * the paths would point into dist/bundle/), the optional packages that are not installed (pg-native, canvas), and
 * @mozilla/readability, a CommonJS package src/ loads with import(): esbuild's chunk for it exports module.exports
 * as `default` only, where Node's import() also gives its named exports (`{ Readability }` was undefined).
 */
const NOT_BUNDLED = ['pino', 'pino-pretty', 'thread-stream', 'pg-native', 'canvas', '@mozilla/readability'];
/** Which module files each chunk of dist/bundle/ holds (paths from the checkout), for a reader or a test. */
export const BUNDLE_INPUTS = 'inputs.json';

/** A dist/ module inlined in the bundle: import.meta.url names the module's own file in dist/, as before. */
function moduleUrls(out, bundleDir) {
  return {
    name: 'module-urls',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(out + sep) || args.path === join(out, 'workers', 'start-worker.js')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const own = `new URL(${JSON.stringify(relative(bundleDir, args.path).split(sep).join('/'))}, import.meta.url).href`;
        return { contents: text.replaceAll('import.meta.url', own), loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/**
 * sanitize-html requires postcss at its start for one thing: parsing the style attributes it is told to keep, and
 * normalize/html.ts and plain-text.ts keep none. In the bundle, sanitize-html's postcss is a stand-in that requires
 * the real one (from node_modules) at its first call, so a read worker and inspect no longer compile and run postcss
 * and source-map-js at their start (~14 ms of a read worker's ~170).
 */
const lazyPostcss = {
  name: 'lazy-postcss',
  setup(build) {
    build.onResolve({ filter: /^postcss$/ }, (args) => {
      if (args.namespace === 'lazy-postcss') return { path: 'postcss', external: true };
      return args.importer.includes(`${sep}node_modules${sep}sanitize-html${sep}`) ? { path: 'postcss', namespace: 'lazy-postcss' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'lazy-postcss' }, () => ({
      contents: "exports.parse = (...args) => require('postcss').parse(...args);",
      loader: 'js',
    }));
  },
};

/** Bundles the compiled entries in `out` (a build's dist/) into out/bundle/. */
async function bundle(esbuild, out) {
  const bundleDir = join(out, 'bundle');
  const result = await esbuild({
    // Paths esbuild writes into the output (a comment naming each module) are relative to this directory: the
    // generation's own name stays out of it, so the same inputs give the same chunks, named by the same hashes.
    absWorkingDir: out,
    entryPoints: Object.fromEntries(Object.entries(BUNDLE_ENTRIES).map(([name, path]) => [name, join(out, path)])),
    outdir: bundleDir,
    bundle: true,
    splitting: true,
    chunkNames: '[name]-[hash]',
    external: NOT_BUNDLED,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    // CommonJS packages inlined in an ES module still call require() for Node's own modules.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'error',
    plugins: [moduleUrls(out, bundleDir), lazyPostcss],
  });
  const inputs = {};
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith('.js')) continue;
    inputs[relative(bundleDir, join(out, file))] = Object.keys(output.inputs).map((input) => {
      const absolute = join(out, input);
      const path = relative(ROOT, absolute).split(sep).join('/');
      const inDist = relative(out, absolute);
      if (!inDist.startsWith('..')) return `dist/${inDist.split(sep).join('/')}`;
      // node_modules may be a link to another checkout's: named from node_modules/ on, as this checkout sees it
      const packages = path.indexOf('node_modules/');
      return packages === -1 ? path : path.slice(packages);
    });
  }
  writeFileSync(join(bundleDir, BUNDLE_INPUTS), JSON.stringify(inputs, null, 1));
}

/**
 * Compiles src/ into a new generation and points dist/ at it (scripts/generations.js): a start never sees half a
 * build, and a process that runs the one replaced keeps every file it may still load.
 */
export async function build() {
  const print = fingerprint();
  const { build: esbuild } = await import('esbuild');
  const files = listFiles(SRC);
  const out = newGeneration(ROOT);
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
    await bundle(esbuild, out);
    writeFileSync(join(out, STAMP), print);
    pointDistAt(ROOT, out);
  } catch (err) {
    rmSync(out, { recursive: true, force: true });
    throw err;
  }
  pruneGenerations(ROOT, STAMP);
}

/**
 * The compiled CLI entry, built first when dist/ is missing or older than the sources; null when it cannot be
 * built here (a read-only checkout, another user's): the caller then runs the sources through tsx, as before
 * dist/ existed. A build that fails for another reason (a syntax error) is reported, and tsx runs the sources.
 */
export async function ensureBuilt() {
  try {
    if (!isBuilt()) await build();
    // The generation's own path: this process's later imports resolve there, whatever dist/ names by then.
    const generation = realpathSync(DIST);
    registerUser(generation);
    return pathToFileURL(join(generation, 'bundle', 'tributary.js')).href;
  } catch (err) {
    if (!NOT_WRITABLE.has(err.code)) process.stderr.write(`tributary: cannot build dist/ (${err.message.split('\n')[0]}); running src/ through tsx\n`);
    return null;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build();
}
