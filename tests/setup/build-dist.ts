// Builds dist/ once before any test file runs, so every spawned CLI and service starts from compiled JavaScript
// instead of each start racing to build it (or transpiling through tsx). bin/tributary.js still checks that dist/
// matches src/ at every start.
import { build, isBuilt } from '../../scripts/build.js';

export default async function setup(): Promise<void> {
  if (!isBuilt()) await build();
}
