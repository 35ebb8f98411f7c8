import { describe, expect, it, onTestFinished } from 'vitest';
import { TransactionTimeoutError } from './index.js';
import { testSchemaMigrations } from './test-support/fixtures.js';
import { createTestDatabase } from './testing/index.js';

/** Resolves or rejects like `promise`, or rejects with `hung: <what>` after `ms`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`hung: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const never = () => new Promise<never>(() => {});

describe('PGlite transaction timeout', () => {
  it('releases the database when fn never settles', async () => {
    const t = await createTestDatabase({ engine: 'pglite' });
    onTestFinished(() => within(5_000, 'drop()', t.drop()).catch(() => {}));
    const started = performance.now();
    const outcome = await within(
      5_000,
      'the transaction',
      t.db
        .transaction(
          async (tx) => {
            await tx.sql`select 1`;
            await never();
          },
          { timeout: 200 },
        )
        .catch((error: unknown) => error),
    );
    expect(outcome).toBeInstanceOf(TransactionTimeoutError);
    expect(performance.now() - started).toBeLessThan(2_000);
    // PGlite's only session is free again: no statement queues forever behind the lock.
    expect(await within(2_000, 'select 1 afterwards', t.db.sql`select 1 as one`)).toEqual([
      { one: 1 },
    ]);
    await within(5_000, 'close()', t.db.close());
  });

  it('fails statements fn sends after the timeout, inside the rolled back transaction', async () => {
    const t = await createTestDatabase({ engine: 'pglite', migrations: testSchemaMigrations });
    onTestFinished(() => within(5_000, 'drop()', t.drop()).catch(() => {}));
    let late: unknown = 'not reached';
    let lateDone: () => void = () => {};
    const lateSettled = new Promise<void>((resolve) => {
      lateDone = resolve;
    });
    const outcome = await within(
      5_000,
      'the transaction',
      t.db
        .transaction(
          async (tx) => {
            await tx.sql`insert into audit (what) values (${'early'})`;
            await new Promise((resolve) => setTimeout(resolve, 500));
            try {
              await tx.sql`insert into audit (what) values (${'late'})`;
              late = 'ran';
            } catch (error) {
              late = error;
            } finally {
              lateDone();
            }
          },
          { timeout: 200 },
        )
        .catch((error: unknown) => error),
    );
    expect(outcome).toBeInstanceOf(TransactionTimeoutError);
    await within(2_000, 'the late statement', lateSettled);
    expect(late).toBeInstanceOf(TransactionTimeoutError);
    // Neither insert survived: the first was rolled back, the second never ran.
    expect(await t.db.sql`select what from audit`).toEqual([]);
  });

  it('times out a transaction still waiting for the session, and never runs its fn', async () => {
    const t = await createTestDatabase({ engine: 'pglite' });
    onTestFinished(() => within(5_000, 'drop()', t.drop()).catch(() => {}));
    let holding: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const first = t.db.transaction(async (tx) => {
      await tx.sql`select 1`;
      holding();
      await new Promise((resolve) => setTimeout(resolve, 600));
      return 'first';
    });
    await held;
    let ran = false;
    const second = await within(
      5_000,
      'the waiting transaction',
      t.db
        .transaction(
          async () => {
            ran = true;
          },
          { timeout: 200 },
        )
        .catch((error: unknown) => error),
    );
    expect(second).toBeInstanceOf(TransactionTimeoutError);
    expect(await within(5_000, 'the first transaction', first)).toBe('first');
    expect(await within(2_000, 'select 1 afterwards', t.db.sql`select 1 as one`)).toEqual([
      { one: 1 },
    ]);
    expect(ran).toBe(false);
  });
});

describe('PGlite settings', () => {
  it("starts with 16MB of shared buffers, not PGlite's 128MB default (resident from the start)", async () => {
    const t = await createTestDatabase({ engine: 'pglite' });
    onTestFinished(() => t.drop());
    const [row] = await t.db.sql<{ shared_buffers: string }>`show shared_buffers`;
    expect(row?.shared_buffers).toBe('16MB');
  });
});
