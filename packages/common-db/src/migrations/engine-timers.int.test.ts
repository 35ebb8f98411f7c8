import { describe, expect, it } from 'vitest';
import { createTestDatabase, testEngines } from '../testing/index.js';
import { applyMigrations } from './apply-migrations.js';

/** Timers that keep this process alive (unref'd ones do not count). */
const liveTimers = (): number =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe.each(testEngines())('the schema engine on %s', (engine) => {
  it('leaves no timer holding the process once the migrations are applied', async () => {
    const t = await createTestDatabase({ engine });
    try {
      const before = liveTimers();
      await applyMigrations(t.db, {
        migrations: [{ name: '20240101000000_init', sql: 'CREATE TABLE "thing" (id INT);' }],
      });
      // The engine raced its work against a 10 s timer it never clears: a program that
      // migrated and closed its database waited those 10 s before it could exit.
      expect(liveTimers()).toBeLessThanOrEqual(before);
    } finally {
      await t.drop();
    }
  });
});
