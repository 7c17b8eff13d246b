import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Each worker process imports the application once and runs file after file; every file still
    // builds its own app on its own copy of the migrated database (test/support/app.ts). Nothing may
    // live in a module that one app changes and another reads: state belongs to the app's context.
    isolate: false,
    // Generous: no test asserts on time, and CI shares two cores between the suite, its child processes and services.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
