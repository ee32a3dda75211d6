// Before each test file: in-process read and render workers start from the bundle tests/setup/build-dist.ts built,
// as the compiled service's do, not from src/ through tsx (about 1 CPU-second less a worker's start).
import { startWorkersFromBundle } from '../../src/workers/start-worker.ts';

export const TEST_BUNDLE = new URL('../../dist/bundle/', import.meta.url);

startWorkersFromBundle(TEST_BUNDLE);

// The suite keeps both cores busy with nice-0 processes, beside which workers at the product's nice 19 got so little
// CPU that files waiting on a render or a read took twice as long (a WebSub delivery outwaited its 15 s once). The
// tests' workers, in-process and in every service or CLI they start (which inherit this), run at nice 10 instead;
// worker-priority.test.ts checks the default of 19 with the variable unset.
process.env.TRIBUTARY_WORKER_NICENESS ??= '10';
