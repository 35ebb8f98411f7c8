import { defineConfig } from 'vitest/config';

/** Settings every workspace's Vitest project shares. */
export default defineConfig({
  test: {
    clearMocks: true,
    restoreMocks: true,
    // Integration tests create databases and PGlite data folders; their hooks need room.
    hookTimeout: 30_000,
    testTimeout: 30_000,
  },
});
