import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests spawn worker pools that each want a core; running files one at a
    // time keeps two-core machines from starving them.
    fileParallelism: false,
    pool: 'forks',
  },
});
