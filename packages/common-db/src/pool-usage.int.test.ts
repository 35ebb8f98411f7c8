import { describe, expect, it } from 'vitest';
import { createDatabase } from './index.js';
import { createTestDatabase, createTestPostgresUrl, testEngines } from './testing/index.js';

describe('db.poolUsage()', () => {
  it.runIf(testEngines().includes('postgres'))(
    'counts idle, used and waiting connections of the pg pool',
    async () => {
      const { url, drop } = await createTestPostgresUrl();
      const db = await createDatabase({ url, pool: { max: 1 } });
      try {
        expect(db.poolUsage()).toEqual({ max: 1, total: 0, idle: 0, waiting: 0 });
        let release!: () => void;
        const held = new Promise<void>((resolve) => {
          release = resolve;
        });
        let started!: () => void;
        const inside = new Promise<void>((resolve) => {
          started = resolve;
        });
        const tx = db.transaction(async (t) => {
          await t.query('select 1');
          started();
          await held;
        });
        await inside;
        const queued = db.query('select 1');
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(db.poolUsage()).toEqual({ max: 1, total: 1, idle: 0, waiting: 1 });
        release();
        await tx;
        await queued;
        expect(db.poolUsage()).toEqual({ max: 1, total: 1, idle: 1, waiting: 0 });
      } finally {
        await db.close();
        await drop();
      }
    },
  );

  it('is null on PGlite (one connection, no pool)', async () => {
    const t = await createTestDatabase({ engine: 'pglite' });
    try {
      expect(t.db.poolUsage()).toBeNull();
    } finally {
      await t.drop();
    }
  });
});
