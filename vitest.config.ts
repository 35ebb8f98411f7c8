import { defineConfig } from 'vitest/config';

/** One run over every workspace: `pnpm test:run` here, or `vitest run` inside a package. */
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'bench/vitest.config.ts'],
    // The JSON report feeds .ci/summary.mjs; the default reporter prints the usual summary.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
