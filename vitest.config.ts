import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Test files share one PostgreSQL server, each with databases of its own. Two workers fit
    // the two cores the project's machines have.
    maxWorkers: 2,
    pool: 'forks',
  },
});
