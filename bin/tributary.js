#!/usr/bin/env node
// Runs the compiled CLI (dist/bundle/, built from src/ by scripts/build.js whenever dist/ is missing or older than
// the sources; the build dist/ names at this start is the one this process runs to its end), so a start loads a few bundled files of JavaScript instead of transpiling TypeScript. A checkout
// this user cannot write (read-only install) keeps the old way: the TypeScript sources through tsx's loader.
import { ensureBuilt } from '../scripts/build.js';

const compiled = await ensureBuilt();
if (compiled) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/entry.ts');
}
