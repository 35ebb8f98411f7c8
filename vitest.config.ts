import { defineConfig } from 'vitest/config';

/** One run over every workspace: `pnpm vitest` here, or `vitest run` inside a package. */
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'bench/vitest.config.ts'],
  },
});
