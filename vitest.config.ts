import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships an ES module (index.mjs, its "module" field) beside CommonJS (its "main").
    // Vite would give our sources the ES module while Node gives Pothos and yoga the CommonJS
    // one, and graphql rejects types from the other copy ("from another module or realm").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
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
