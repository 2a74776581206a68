import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn worker pools that each want a core; running files one at a
    // time keeps two-core machines from starving them.
    fileParallelism: false,
    pool: 'forks',
    projects: [
      // Projects are chosen by folder (test/kafka/ holds every test that needs the
      // broker). Explicit group orders: core files first, then the Kafka files,
      // one file at a time in each.
      { extends: true, test: { name: 'core', include: ['test/**/*.test.ts'], exclude: ['test/kafka/**'], sequence: { groupOrder: 1 } } },
      {
        // Kafka tests need a real broker: the global setup starts one only when
        // a file of this project is in the run, and stops it at the end. They
        // run after the core files (groupOrder), never next to them.
        extends: true,
        test: {
          name: 'kafka',
          include: ['test/kafka/**/*.test.ts'],
          globalSetup: ['test/helpers/kafka-global-setup.ts'],
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
