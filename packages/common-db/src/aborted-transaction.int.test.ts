import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseError, TransactionAbortedError, UniqueViolationError } from './index.js';
import { testSchemaMigrations } from './test-support/fixtures.js';
import { PrismaClient } from './test-support/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase, testEngines } from './testing/index.js';

// A failed statement aborts a PostgreSQL transaction: the server answers the later COMMIT with
// ROLLBACK. db.transaction must say so, never resolve as if fn's earlier writes were committed.
describe.each(testEngines())('a transaction with a failed statement on %s', (engine) => {
  let t: TestDatabase<PrismaClient>;
  let raw: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ engine, PrismaClient, migrations: testSchemaMigrations });
    raw = await createTestDatabase({ engine, migrations: testSchemaMigrations });
  });
  afterAll(async () => {
    await t?.drop();
    await raw?.drop();
  });

  const taken = (prefix: string) => `${prefix}-taken-${engine}@x.io`;

  it('rejects when fn caught a failed Prisma statement and returned, and keeps none of its writes', async () => {
    await t.db.prisma.account.create({ data: { email: taken('prisma') } });
    const a = `prisma-a-${engine}@x.io`;
    let caught: unknown;
    let returned = false;
    const outcome = await t.db
      .transaction(async (tx) => {
        await tx.prisma.account.create({ data: { email: a } });
        try {
          await tx.prisma.account.create({ data: { email: taken('prisma') } });
        } catch (error) {
          caught = error;
        }
        returned = true;
        return 'committed?';
      })
      .catch((e: unknown) => e);
    expect(returned).toBe(true);
    expect(caught).toBeInstanceOf(UniqueViolationError);
    expect(outcome).toBeInstanceOf(TransactionAbortedError);
    expect(outcome).toBeInstanceOf(DatabaseError);
    expect(outcome).toMatchObject({ code: 'VSA_DB_TRANSACTION_ABORTED', statusCode: 500 });
    expect(await t.db.prisma.account.findUnique({ where: { email: a } })).toBeNull();
    // The connection is clean afterwards: the next transaction commits.
    const b = `prisma-b-${engine}@x.io`;
    await t.db.transaction((tx) => tx.prisma.account.create({ data: { email: b } }));
    expect(await t.db.prisma.account.findUnique({ where: { email: b } })).not.toBeNull();
  });

  it('rejects when fn caught a failed raw statement on the Prisma transaction', async () => {
    await t.db.prisma.account.create({ data: { email: taken('mixed') } });
    const a = `mixed-a-${engine}@x.io`;
    const outcome = await t.db
      .transaction(async (tx) => {
        await tx.prisma.account.create({ data: { email: a } });
        await tx.sql`insert into "Account" (id, email) values (${`dup-${engine}`}, ${taken('mixed')})`.catch(
          () => {},
        );
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(TransactionAbortedError);
    expect(await t.db.prisma.account.findUnique({ where: { email: a } })).toBeNull();
  });

  it('names a statement sent after the failure with the same error', async () => {
    await t.db.prisma.account.create({ data: { email: taken('after') } });
    let after: unknown;
    const outcome = await t.db
      .transaction(async (tx) => {
        await tx.prisma.account.create({ data: { email: taken('after') } }).catch(() => {});
        after = await tx.prisma.account.count().catch((e: unknown) => e);
      })
      .catch((e: unknown) => e);
    expect(after).toBeInstanceOf(TransactionAbortedError);
    expect(outcome).toBeInstanceOf(TransactionAbortedError);
  });

  it('still rejects with the mapped error when fn lets the failure propagate', async () => {
    await t.db.prisma.account.create({ data: { email: taken('uncaught') } });
    const a = `uncaught-a-${engine}@x.io`;
    const outcome = await t.db
      .transaction(async (tx) => {
        await tx.prisma.account.create({ data: { email: a } });
        await tx.prisma.account.create({ data: { email: taken('uncaught') } });
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(UniqueViolationError);
    expect((outcome as UniqueViolationError).constraint).toBe('Account_email_key');
    expect(await t.db.prisma.account.findUnique({ where: { email: a } })).toBeNull();
  });

  it('rejects with the violation when a deferred constraint fails the COMMIT itself', async () => {
    await t.db
      .sql`create table deferred_key (k int constraint deferred_key_k unique deferrable initially deferred)`;
    await t.db.sql`insert into deferred_key values (1)`;
    const a = `deferred-a-${engine}@x.io`;
    const outcome = await t.db
      .transaction(async (tx) => {
        await tx.prisma.account.create({ data: { email: a } });
        await tx.sql`insert into deferred_key values (1)`; // checked at COMMIT
        return 'committed?';
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(UniqueViolationError);
    expect(outcome).toMatchObject({ constraint: 'deferred_key_k' });
    expect(await t.db.prisma.account.findUnique({ where: { email: a } })).toBeNull();
  });

  it('commits when fn recovered from the failure with a savepoint', async () => {
    await t.db.prisma.account.create({ data: { email: taken('savepoint') } });
    const a = `savepoint-a-${engine}@x.io`;
    const result = await t.db.transaction(async (tx) => {
      await tx.prisma.account.create({ data: { email: a } });
      await tx.sql`savepoint before_dup`;
      const dup = await tx.prisma.account
        .create({ data: { email: taken('savepoint') } })
        .catch((e: unknown) => e);
      await tx.sql`rollback to savepoint before_dup`;
      return dup;
    });
    expect(result).toBeInstanceOf(UniqueViolationError);
    expect(await t.db.prisma.account.findUnique({ where: { email: a } })).not.toBeNull();
  });

  // ROLLBACK TO SAVEPOINT sent through Prisma is not the end of the transaction: fn carries on
  // and Prisma commits, so the caller must get fn's result, not a TransactionTimeoutError.
  it('commits when fn rolled back to a savepoint through tx.prisma.$executeRaw', async () => {
    await t.db.prisma.account.create({ data: { email: taken('prisma-savepoint') } });
    const a = `prisma-savepoint-a-${engine}@x.io`;
    const b = `prisma-savepoint-b-${engine}@x.io`;
    const result = await t.db.transaction(async (tx) => {
      await tx.prisma.account.create({ data: { email: a } });
      await tx.prisma.$executeRaw`savepoint s`;
      const dup = await tx.prisma.account
        .create({ data: { email: taken('prisma-savepoint') } })
        .catch((e: unknown) => e);
      await tx.prisma.$executeRaw`rollback to savepoint s`;
      await tx.prisma.account.create({ data: { email: b } });
      await tx.prisma.$executeRaw`release savepoint s`;
      return dup;
    });
    expect(result).toBeInstanceOf(UniqueViolationError);
    expect(await t.db.prisma.account.findUnique({ where: { email: a } })).not.toBeNull();
    expect(await t.db.prisma.account.findUnique({ where: { email: b } })).not.toBeNull();
  });

  it('rejects a Prisma interactive transaction opened on db.prisma the same way', async () => {
    await t.db.prisma.account.create({ data: { email: taken('direct') } });
    const a = `direct-a-${engine}@x.io`;
    const outcome = await t.db.prisma
      .$transaction(async (ptx) => {
        await ptx.account.create({ data: { email: a } });
        await ptx.account.create({ data: { email: taken('direct') } }).catch(() => {});
        return 'committed?';
      })
      .catch((e: unknown) => e);
    expect(outcome).toBeInstanceOf(TransactionAbortedError);
    expect(await t.db.prisma.account.findUnique({ where: { email: a } })).toBeNull();
    const b = `direct-b-${engine}@x.io`;
    await t.db.prisma.$transaction((ptx) => ptx.account.create({ data: { email: b } }));
    expect(await t.db.prisma.account.findUnique({ where: { email: b } })).not.toBeNull();
  });

  it('rejects the same way without Prisma (raw BEGIN … COMMIT)', async () => {
    await raw.db.sql`insert into audit (what) values (${'raw-taken'})`;
    await raw.db.sql`create unique index if not exists audit_what_key on audit (what)`;
    let caught: unknown;
    const outcome = await raw.db
      .transaction(async (tx) => {
        await tx.sql`insert into audit (what) values (${'raw-a'})`;
        await tx.sql`insert into audit (what) values (${'raw-taken'})`.catch((e: unknown) => {
          caught = e;
        });
        return 'committed?';
      })
      .catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(UniqueViolationError);
    expect(outcome).toBeInstanceOf(TransactionAbortedError);
    expect(await raw.db.sql`select 1 from audit where what = ${'raw-a'}`).toHaveLength(0);
  });
});
