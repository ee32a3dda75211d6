// The CLI runs from dist/bundle/ (scripts/build.js), whose chunks each hold several modules. A test that asserts
// which modules a spawned process loaded (a loader hook reports each URL) counts a chunk as every module it holds
// (dist/bundle/inputs.json), so a module is seen whichever chunk it was put in. dist/ links to the build's own
// directory (scripts/generations.js), the path Node loads the chunks by.
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN } from './cli.ts';

const CHECKOUT = pathToFileURL(join(BIN, '..', '..')).href + '/';

/** The URL prefix of the bundle the CLI runs now. */
export function bundleUrl(): string {
  return `${pathToFileURL(realpathSync(join(BIN, '..', '..', 'dist'))).href}/bundle/`;
}

/**
 * The modules behind a loaded URL: a chunk of dist/bundle/ stands for the dist/ files it holds (as
 * <checkout>/dist/…), and for the packages it holds files of (as <checkout>/node_modules/<package>/: as before the
 * bundle, where the hook saw a package's entry but not the files that entry require()s). Any other URL is itself.
 */
export function bundledModules(bundle: string): (url: string) => string[] {
  const inputs = JSON.parse(readFileSync(new URL('inputs.json', bundle), 'utf8')) as Record<string, string[]>;
  return (url) => {
    if (!url.startsWith(bundle)) return [url];
    return [...new Set((inputs[url.slice(bundle.length)] ?? [url]).map((path) => {
      const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
      return CHECKOUT + (pkg ? `node_modules/${pkg[1]}/` : path);
    }))];
  };
}
