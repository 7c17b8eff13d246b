import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    // Each worker process imports the application once and runs file after file; every file still
    // builds its own app on its own copy of the migrated database (test/support/app.ts), so no
    // state crosses files. Module imports were about a third of the suite's time with isolation on.
    isolate: false,
    // Generous: no test asserts on time, and CI shares two cores between the suite, its child processes and services.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
