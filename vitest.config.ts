import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that assert a time bound measured on this process or the service it starts (event-loop stalls, slice
 * lengths, "answers within 1 s"). They run last, after every other file, two at a time (below). (tests/unit/render/
 * filter-pass.test.ts times slices on a clock it moves itself, and counts turns of the event loop, not their length:
 * it runs with the unit files.) In the order they start: serving-during-cycle, the longest, on one worker, and the
 * others one after another on the second.
 */
const TIMED = [
  'tests/integration/serving-during-cycle.test.ts',
  'tests/integration/filter-stall.test.ts',
  'tests/integration/listen-first.test.ts',
  // the parser's time budget is wall time: documents that take a second here would pass it only on a quiet core
  'tests/unit/parse/hostile-xml.test.ts',
  'tests/unit/store/store-open-yields.test.ts',
];

/**
 * The files that took 10 s or more in a full run on this machine, longest first. They start first: vitest's own
 * order in a fresh clone (no results cache) is largest file first, which once left a 57 s file to start two thirds
 * of the way through and finish alone. A file missing here only runs in vitest's order; nothing else depends on it.
 */
const LONG_FIRST = [
  ...TIMED,
  'tests/bench/bench-modules.test.ts',
  'tests/integration/inspect.test.ts',
  'tests/integration/crash-safety.test.ts',
  'tests/integration/private-redirects.test.ts',
  'tests/integration/retention-grace.test.ts',
  'tests/integration/websub-hub-limits.test.ts',
  'tests/integration/websub-shutdown.test.ts',
  'tests/integration/proxies.test.ts',
  'tests/bench/bench-start.test.ts',
  'tests/integration/build-generations.test.ts',
  'tests/integration/compiled-start.test.ts',
  'tests/integration/never-abandoned.test.ts',
  'tests/integration/shared-serve.test.ts',
  'tests/integration/cli-fetch.test.ts',
  'tests/integration/inspect-html.test.ts',
  'tests/integration/base-url-port.test.ts',
  'tests/integration/read-pool-stop-idle.test.ts',
  'tests/integration/inspect-rules.test.ts',
  'tests/browser/pages.test.ts',
];

/** vitest's order, with the files of LONG_FIRST moved to the front of their group (longest first). */
class LongFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const at = LONG_FIRST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return at === -1 ? LONG_FIRST.length : at;
    };
    const order = (spec: TestSpecification): number => spec.project.config.sequence.groupOrder;
    return sorted
      .map((spec, at) => ({ spec, at }))
      .sort((a, b) => order(a.spec) - order(b.spec) || rank(a.spec) - rank(b.spec) || a.at - b.at)
      .map(({ spec }) => spec);
  }
}

export default defineConfig({
  test: {
    // Files run side by side now, so a test's CPU is shared with its neighbours' services: the bounds leave room
    // for that. They bound a hang, not speed; a test that asserts a time does so itself.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The test workers run services in-process and make garbage fast: with V8's 16 MiB semi-spaces, young-generation
    // collections were about a tenth of their CPU. 64 MiB ones: 32.2-34.1 user CPU-s for serving-during-cycle,
    // filter-stall and feed-index run together, against 36.3-38.6 (three runs each, alternating). Only the test
    // processes: the services and CLIs they start run with Node's defaults, and read and render workers size their own
    // young generation (WORKER_YOUNG_GENERATION_MB).
    execArgv: ['--max-semi-space-size=64'],
    sequence: { sequencer: LongFilesFirst },
    // compiled starts for every spawned CLI/service (tests/setup/build-dist.ts); one throwaway PostgreSQL
    // cluster for the PostgreSQL store's tests (tests/setup/postgres.ts)
    globalSetup: ['tests/setup/build-dist.ts', 'tests/setup/postgres.ts'],
    // In-process read and render workers start from that compiled dist/ too, as the service's do, instead of loading
    // src/ through tsx in every new worker (startWorkersFromBundle in src/workers/start-worker.ts);
    // worker-priority.test.ts also starts them from src/.
    setupFiles: ['tests/setup/compiled-workers.ts'],
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
          // Debian's chromium over the running service (tests/helpers/browser.ts): one browser per file. Its one
          // file runs beside the others (maxWorkers as theirs: vitest runs a group under one worker count); with
          // maxWorkers 1 vitest ran it on its own after everything else.
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timed',
          include: TIMED,
          // Two at a time, after every other file: one of them alone left a core mostly idle for ~37 s of the run.
          // Beside one other timed file, what each asserts still holds: the holds of serving-during-cycle,
          // filter-stall and store-open-yields are counted in their serving thread's own CPU time
          // (tests/helpers/loop-hold.ts); filter-stall's costly patterns are refused or answered whichever their
          // wall-time budget gives; listen-first orders answers against the store's "loaded" line, not a clock; the
          // parser's 5 s in hostile-xml is for documents read in well under a second. With every other file beside
          // them (load 5-8) they did not hold (docs/development.md); with one they are at most one core short.
          maxWorkers: 2,
          // One fork per worker runs its files one after another, instead of a fork started and src/ imported anew
          // for each.
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
