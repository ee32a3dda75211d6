import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // compiled starts for every spawned CLI/service (tests/setup/build-dist.ts); one throwaway PostgreSQL
    // cluster for the PostgreSQL store's tests (tests/setup/postgres.ts)
    globalSetup: ['tests/setup/build-dist.ts', 'tests/setup/postgres.ts'],
  },
});
