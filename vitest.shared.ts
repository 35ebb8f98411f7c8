import { defineConfig } from 'vitest/config';

/** Settings every workspace's Vitest project shares. */
export default defineConfig({
  test: {
    clearMocks: true,
    restoreMocks: true,
    // Integration tests create databases and PGlite data folders; their hooks need room.
    hookTimeout: 30_000,
    testTimeout: 30_000,
    // A workspace's own run (its turbo `test` task) prints dots, failures in full, and writes
    // the JSON report that turbo caches as the task's output and scripts/test-summary.mjs counts.
    // A run from the root (vitest.config.ts with projects) uses the root's reporters instead.
    reporters: ['dot', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
