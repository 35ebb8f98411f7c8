import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TransactionAbortedError, UniqueViolationError } from './index.js';
import { transactionSlots } from './prisma-adapter.js';
import { testSchemaMigrations } from './test-support/fixtures.js';
import { PrismaClient } from './test-support/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from './testing/index.js';

// db.transaction with a PrismaClient configured starts as a raw transaction and opens Prisma's
// interactive transaction on the same connection only when fn touches tx.prisma: on PostgreSQL
// (the pooled connection) and on PGlite (its one connection, whose mutex the raw one holds).
describe.each(['postgres', 'pglite'] as const)(
  'db.transaction with Prisma configured, on %s',
  (engine) => {
    let t: TestDatabase<PrismaClient>;
    beforeAll(async () => {
      t = await createTestDatabase({
        engine,
        PrismaClient,
        migrations: testSchemaMigrations,
      });
    });
    afterAll(() => t?.drop());
    afterEach(() => {
      vi.restoreAllMocks();
    });

    const count = async (what: string) =>
      (await t.db.sql<{ n: number }>`select count(*)::int as n from audit where what = ${what}`)[0]
        ?.n;

    it('opens no Prisma transaction when fn uses raw SQL only', async () => {
      const opened = vi.spyOn(transactionSlots, 'run');
      await t.db.transaction(async (tx) => {
        await tx.sql`insert into audit (what) values (${'raw-only'})`;
      });
      expect(opened).not.toHaveBeenCalled();
      expect(await count('raw-only')).toBe(1);
    });

    it('opens it on first use of tx.prisma, once, on the same transaction as the raw statements', async () => {
      const opened = vi.spyOn(transactionSlots, 'run');
      const email = 'lazy-same@x.io';
      const seen = await t.db.transaction(async (tx) => {
        await tx.sql`insert into "Account" (id, email) values (${'lazy-1'}, ${email})`;
        // Prisma sees the raw write (same transaction), and raw SQL sees Prisma's.
        const account = await tx.prisma.account.findUnique({ where: { email } });
        await tx.prisma.account.update({ where: { email }, data: { balance: 7 } });
        const [row] = await tx.sql<{
          balance: number;
        }>`select balance from "Account" where email = ${email}`;
        const backends = await tx.prisma.$queryRaw<
          { pid: number }[]
        >`select pg_backend_pid() as pid`;
        const [raw] = await tx.sql<{ pid: number }>`select pg_backend_pid() as pid`;
        return { account, balance: row?.balance, samePid: backends[0]?.pid === raw?.pid };
      });
      expect(opened).toHaveBeenCalledTimes(1);
      expect(seen).toEqual({
        account: expect.objectContaining({ id: 'lazy-1', email }),
        balance: 7,
        samePid: true,
      });
      expect(await t.db.prisma.account.findUnique({ where: { email } })).toMatchObject({
        balance: 7,
      });
    });

    it('rolls back raw and Prisma writes together when fn throws', async () => {
      const email = 'lazy-rollback@x.io';
      const error = await t.db
        .transaction(async (tx) => {
          await tx.sql`insert into audit (what) values (${'lazy-rollback'})`;
          await tx.prisma.account.create({ data: { email } });
          await tx.sql`insert into audit (what) values (${'lazy-rollback'})`;
          throw new Error('boom');
        })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ message: 'boom' });
      expect(await count('lazy-rollback')).toBe(0);
      expect(await t.db.prisma.account.findUnique({ where: { email } })).toBeNull();
    });

    it('keeps none of the writes when a Prisma statement failed and fn went on', async () => {
      await t.db.prisma.account.create({ data: { email: 'lazy-taken@x.io' } });
      const outcome = await t.db
        .transaction(async (tx) => {
          await tx.sql`insert into audit (what) values (${'lazy-aborted'})`;
          const dup = await tx.prisma.account
            .create({ data: { email: 'lazy-taken@x.io' } })
            .catch((e: unknown) => e);
          expect(dup).toBeInstanceOf(UniqueViolationError);
        })
        .catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(TransactionAbortedError);
      expect(await count('lazy-aborted')).toBe(0);
    });

    it('runs Prisma calls lazily, as Prisma does, and supports fluent relation calls', async () => {
      const account = await t.db.prisma.account.create({ data: { email: 'lazy-fluent@x.io' } });
      await t.db.prisma.note.create({ data: { accountId: account.id, body: 'hello' } });
      const notes = await t.db.transaction(async (tx) => {
        // Never awaited: must not run (a Prisma promise runs when awaited).
        void tx.prisma.account.delete({ where: { id: account.id } });
        expect(typeof tx.prisma.$queryRawUnsafe).toBe('function');
        expect(tx.prisma.account.fields.email).toBeDefined();
        return tx.prisma.account.findUnique({ where: { id: account.id } }).notes();
      });
      expect(notes).toEqual([expect.objectContaining({ body: 'hello' })]);
      expect(await t.db.prisma.account.findUnique({ where: { id: account.id } })).not.toBeNull();
    });

    it('applies the isolation level to Prisma statements too', async () => {
      const levels = await t.db.transaction(
        async (tx) => {
          const viaPrisma = await tx.prisma.$queryRaw<
            { level: string }[]
          >`select current_setting('transaction_isolation') as level`;
          return viaPrisma[0]?.level;
        },
        { isolationLevel: 'Serializable' },
      );
      expect(levels).toBe('serializable');
    });

    it('commits after a nested Prisma savepoint through $executeRaw', async () => {
      await t.db.transaction(async (tx) => {
        await tx.prisma.$executeRaw`savepoint s`;
        await tx.sql`insert into audit (what) values (${'lazy-savepoint-undone'})`;
        await tx.prisma.$executeRaw`rollback to savepoint s`;
        await tx.sql`insert into audit (what) values (${'lazy-savepoint-kept'})`;
      });
      expect(await count('lazy-savepoint-undone')).toBe(0);
      expect(await count('lazy-savepoint-kept')).toBe(1);
    });

    it('refuses Prisma calls on a finished transaction', async () => {
      const leaked = await t.db.transaction(async (tx) => {
        await tx.prisma.account.count();
        return tx.prisma;
      });
      await expect(leaked.account.count()).rejects.toBeDefined();
    });
  },
);
