import { defineConfig } from 'vitest/config';

/**
 * Every workspace in one Vitest run: `pnpm vitest run <paths>` from the root. `pnpm test` runs
 * each workspace's own `test` task through turbo instead (cached per workspace).
 */
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'bench/vitest.config.ts'],
    reporters: ['default'],
  },
});
