import { defineConfig } from 'vitest/config';

/**
 * Files that assert a time bound measured on this process or the service it starts (event-loop stalls, slice
 * lengths, "answers within 1 s"). They run last, one at a time, with nothing else of the suite beside them, so a
 * neighbour's CPU burst cannot be what they measure.
 */
const TIMED = [
  'tests/integration/filter-stall.test.ts',
  'tests/integration/serving-during-cycle.test.ts',
  'tests/integration/listen-first.test.ts',
  'tests/unit/render/filter-pass.test.ts',
  // the parser's time budget is wall time: documents that take a second here would pass it only on a quiet core
  'tests/unit/parse/hostile-xml.test.ts',
  'tests/unit/store/store-open-yields.test.ts',
];

export default defineConfig({
  test: {
    // Files run side by side now, so a test's CPU is shared with its neighbours' services: the bounds leave room
    // for that. They bound a hang, not speed; a test that asserts a time does so itself.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // compiled starts for every spawned CLI/service (tests/setup/build-dist.ts); one throwaway PostgreSQL
    // cluster for the PostgreSQL store's tests (tests/setup/postgres.ts)
    globalSetup: ['tests/setup/build-dist.ts', 'tests/setup/postgres.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          exclude: TIMED,
          // Pure functions over data: no test file leaves state behind that another could see, so one module graph
          // serves them all instead of re-importing zod, cheerio and sanitize-html for each of ~60 files.
          isolate: false,
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts', 'tests/bench/**/*.test.ts'],
          exclude: TIMED,
          // Most of an integration file's time is spent waiting on a started service or CLI (a child process of
          // its own, on either core), so more files than cores run at once (3: at 4, on a machine
          // busy with other work, several tests' service starts ran past their timeout).
          maxWorkers: 3,
          // One module graph per worker process too: each file would otherwise load src/ and its packages anew (about
          // two CPU-seconds a file), and the read pool of tests/helpers/shared-readers.ts then serves every file of a
          // worker. The files share no module state: each starts its own fixture servers, App and data directory.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          // Debian's chromium over the running service (tests/helpers/browser.ts): one browser per file, and a
          // browser is heavy on 2 cores, so one file at a time
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          maxWorkers: 1,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timed',
          include: TIMED,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
