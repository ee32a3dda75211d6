// Before each test file: in-process read and render workers start from the bundle tests/setup/build-dist.ts built,
// as the compiled service's do, not from src/ through tsx (about 1 CPU-second less a worker's start).
import { startWorkersFromBundle } from '../../src/workers/start-worker.ts';

export const TEST_BUNDLE = new URL('../../dist/bundle/', import.meta.url);

startWorkersFromBundle(TEST_BUNDLE);
