import { type AddressInfo, createServer, type Socket } from 'node:net';
import { InvalidArgumentError, NotFoundError } from '@vsa/common-errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaNotConfiguredError, TransactionClosedError } from './admin/index.js';
import {
  ConnectionUnavailableError,
  createDatabase,
  ForeignKeyViolationError,
  QueryTimeoutError,
  SerializationFailureError,
  sqlFragment,
  sqlIdentifier,
  TransactionTimeoutError,
  UniqueViolationError,
} from './index.js';
import { testSchemaMigrations } from './test-support/fixtures.js';
import { PrismaClient } from './test-support/generated/prisma/client.js';
import {
  createTestDatabase,
  createTestPostgresUrl,
  type TestDatabase,
  testEngines,
} from './testing/index.js';

describe.each(testEngines())('Database on %s', (engine) => {
  let t: TestDatabase<PrismaClient>;
  beforeAll(async () => {
    t = await createTestDatabase({ engine, PrismaClient, migrations: testSchemaMigrations });
  });
  afterAll(() => t?.drop());

  it('runs parametrized raw SQL with pg-compatible types', async () => {
    const rows = await t.db.sql<{ a: string; b: number; j: { x: number } }>`
      select ${'9007199254740993'}::int8 as a, ${2}::int4 as b, ${JSON.stringify({ x: 1 })}::jsonb as j`;
    expect(rows).toEqual([{ a: '9007199254740993', b: 2, j: { x: 1 } }]);
    const evil = "'; drop table audit; --";
    await t.db.sql`insert into audit (what) values (${evil})`;
    const [row] = await t.db.sql<{ what: string }>`select what from audit where what = ${evil}`;
    expect(row?.what).toBe(evil);
    const res = await t.db.query('delete from audit where what = $1', [evil]);
    expect(res.rowCount).toBe(1);
  });

  it('embeds validated identifiers and fragments', async () => {
    const where = sqlFragment`what = ${'frag'}`;
    await t.db.sql`insert into ${sqlIdentifier('public', 'audit')} (what) values (${'frag'})`;
    const rows = await t.db.sql<{ n: string }>`select count(*) as n from audit where ${where}`;
    expect(rows[0]?.n).toBe('1');
    expect(() => sqlIdentifier('audit; drop table x')).toThrow(InvalidArgumentError);
  });

  it('commits a Prisma write and a raw insert together', async () => {
    const id = await t.db.transaction(async (tx) => {
      const account = await tx.prisma.account.create({ data: { email: `commit-${engine}@x.io` } });
      await tx.sql`insert into audit (what) values (${`created ${account.id}`})`;
      // Raw SQL sees the Prisma write: same connection, same transaction.
      const seen = await tx.sql`select id from "Account" where id = ${account.id}`;
      expect(seen).toHaveLength(1);
      return account.id;
    });
    expect(await t.db.prisma.account.findUnique({ where: { id } })).not.toBeNull();
    expect(await t.db.sql`select 1 from audit where what = ${`created ${id}`}`).toHaveLength(1);
  });

  it('rolls back a Prisma write and a raw insert together', async () => {
    const email = `rollback-${engine}@x.io`;
    await expect(
      t.db.transaction(async (tx) => {
        await tx.prisma.account.create({ data: { email } });
        await tx.sql`insert into audit (what) values (${email})`;
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.db.prisma.account.findUnique({ where: { email } })).toBeNull();
    expect(await t.db.sql`select 1 from audit where what = ${email}`).toHaveLength(0);
  });

  it('applies the isolation level inside the transaction', async () => {
    const level = await t.db.transaction(
      async (tx) =>
        (await tx.sql<{ l: string }>`select current_setting('transaction_isolation') as l`)[0]?.l,
      { isolationLevel: 'Serializable' },
    );
    expect(level).toBe('serializable');
  });

  it('retries serialization failures by re-running the whole function', async () => {
    const account = await t.db.prisma.account.create({
      data: { email: `ser-${engine}@x.io`, balance: 0 },
    });
    let retries = 0;
    // On Postgres both transactions read before either writes, forcing a 40001; PGlite has
    // one connection, so its transactions run one after the other and simply both succeed.
    let arrived = 0;
    let release: () => void = () => {};
    const bothRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    const increment = () =>
      t.db.transaction(
        async (tx) => {
          const [row] = await tx.sql<{
            balance: number;
          }>`select balance from "Account" where id = ${account.id}`;
          if (engine === 'postgres' && ++arrived <= 2) {
            if (arrived === 2) release();
            await bothRead;
          }
          await tx.sql`update "Account" set balance = ${(row?.balance ?? 0) + 1} where id = ${account.id}`;
        },
        { isolationLevel: 'Serializable', retry: { retries: 10, onRetry: () => retries++ } },
      );
    await Promise.all([increment(), increment()]);
    const final = await t.db.prisma.account.findUniqueOrThrow({ where: { id: account.id } });
    expect(final.balance).toBe(2);
    // Postgres: the loser of the first round is re-run at least once. PGlite: never.
    if (engine === 'postgres') expect(retries).toBeGreaterThanOrEqual(1);
    else expect(retries).toBe(0);
  });

  // PGlite has one connection: no concurrent transactions to conflict, so nothing to test.
  it.skipIf(engine === 'pglite')('throws SerializationFailureError without retry', async () => {
    const account = await t.db.prisma.account.create({
      data: { email: `noretry@x.io`, balance: 0 },
    });
    let arrived = 0;
    let release: () => void = () => {};
    const bothRead = new Promise<void>((resolve) => {
      release = resolve;
    });
    const increment = () =>
      t.db.transaction(
        async (tx) => {
          await tx.sql`select balance from "Account" where id = ${account.id}`;
          if (++arrived === 2) release();
          await bothRead;
          await tx.sql`update "Account" set balance = balance + 1 where id = ${account.id}`;
        },
        { isolationLevel: 'Serializable' },
      );
    const results = await Promise.allSettled([increment(), increment()]);
    const failures = results.filter((r) => r.status === 'rejected');
    expect(failures).toHaveLength(1);
    expect((failures[0] as PromiseRejectedResult).reason).toBeInstanceOf(SerializationFailureError);
  });

  it('types db.prisma as the extended client it is: no $on', () => {
    // `tsc --noEmit -p packages/common-db` fails if db.prisma's type still offers `$on`.
    // @ts-expect-error db.prisma is a Prisma extended client, which has no $on
    const on: unknown = t.db.prisma.$on;
    expect(on).toBeUndefined();
    expect(typeof t.db.prisma.$extends).toBe('function');
  });

  it('maps unique, foreign key and not-found errors from raw SQL and Prisma', async () => {
    const email = `dup-${engine}@x.io`;
    await t.db.prisma.account.create({ data: { email } });
    // db.prisma outside a transaction throws the typed errors too (the Prisma error is the cause).
    const prismaDup = await t.db.prisma.account
      .create({ data: { email } })
      .catch((e: unknown) => e);
    expect(prismaDup).toBeInstanceOf(UniqueViolationError);
    expect(prismaDup).toMatchObject({
      code: 'VSA_DB_UNIQUE_VIOLATION',
      statusCode: 409,
      constraint: 'Account_email_key',
    });
    expect((prismaDup as Error).cause).toMatchObject({ code: 'P2002' });
    const prismaMissing = await t.db.prisma.account
      .update({ where: { id: 'nope' }, data: { balance: 1 } })
      .catch((e: unknown) => e);
    expect(prismaMissing).toBeInstanceOf(NotFoundError);
    const prismaRawDup = await t.db.prisma
      .$executeRaw`insert into "Account" (id, email) values (${'x2'}, ${email})`.catch(
      (e: unknown) => e,
    );
    expect(prismaRawDup).toBeInstanceOf(UniqueViolationError);
    // Inside the transaction function too, before the transaction ends (which the failed
    // statement aborted: aborted-transaction.int.test.ts).
    let caughtInside: unknown;
    await t.db
      .transaction(async (tx) => {
        caughtInside = await tx.prisma.account.create({ data: { email } }).catch((e: unknown) => e);
      })
      .catch(() => {});
    expect(caughtInside).toBeInstanceOf(UniqueViolationError);
    // Results are untouched.
    expect(await t.db.prisma.account.findUnique({ where: { email } })).toMatchObject({ email });
    const inTx = await t.db
      .transaction((tx) => tx.prisma.account.create({ data: { email } }))
      .catch((e: unknown) => e);
    expect(inTx).toBeInstanceOf(UniqueViolationError);
    expect((inTx as UniqueViolationError).constraint).toBe('Account_email_key');
    const raw = await t.db.sql`insert into "Account" (id, email) values (${'x1'}, ${email})`.catch(
      (e: unknown) => e,
    );
    expect(raw).toBeInstanceOf(UniqueViolationError);
    expect(raw).toMatchObject({
      code: 'VSA_DB_UNIQUE_VIOLATION',
      statusCode: 409,
      columns: ['email'],
    });
    expect((raw as UniqueViolationError).constraint).toBe('Account_email_key');
    const fk = await t.db
      .sql`insert into "Note" ("accountId", body) values (${'missing'}, ${'b'})`.catch(
      (e: unknown) => e,
    );
    expect(fk).toBeInstanceOf(ForeignKeyViolationError);
    expect(fk).toMatchObject({
      code: 'VSA_DB_FOREIGN_KEY_VIOLATION',
      constraint: 'Note_accountId_fkey',
    });
    const prismaFk = await t.db
      .transaction((tx) => tx.prisma.note.create({ data: { accountId: 'missing', body: 'b' } }))
      .catch((e: unknown) => e);
    expect(prismaFk).toBeInstanceOf(ForeignKeyViolationError);
    const missing = await t.db
      .transaction((tx) =>
        tx.prisma.account.update({ where: { id: 'nope' }, data: { balance: 1 } }),
      )
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ code: 'VSA_DB_NOT_FOUND', statusCode: 404 });
  });

  it('refuses statements on a finished transaction', async () => {
    const leaked = await t.db.transaction(async (tx) => tx);
    await expect(leaked.sql`select 1`).rejects.toBeInstanceOf(TransactionClosedError);
  });

  it('rolls back a transaction that exceeds its timeout', async () => {
    const what = `timeout-${engine}`;
    const err = await t.db
      .transaction(
        async (tx) => {
          await tx.sql`insert into audit (what) values (${what})`;
          // Slow application code (a blocking pg_sleep would also block PGlite's JS thread).
          await new Promise((resolve) => setTimeout(resolve, 600));
          await tx.sql`insert into audit (what) values (${what})`;
        },
        { timeout: 100 },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionTimeoutError);
    expect(await t.db.sql`select 1 from audit where what = ${what}`).toHaveLength(0);
  });

  it('settles a transaction whose function never settles, at its timeout', async () => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      t.db
        .transaction(
          async (tx) => {
            await tx.sql`select 1`;
            await new Promise<never>(() => {});
          },
          { timeout: 200 },
        )
        .catch((e: unknown) => e),
      new Promise((resolve) => {
        timer = setTimeout(() => resolve('still pending after 3 s'), 3_000);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(outcome).toBeInstanceOf(TransactionTimeoutError);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(await t.db.sql`select 1 as one`).toEqual([{ one: 1 }]);
  });

  it('validates its inputs', async () => {
    await expect(t.db.query('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(t.db.query('select 1', 'x' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      t.db.transaction(async () => {}, { isolationLevel: 'Chaos' as 'Serializable' }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(t.db.transaction(async () => {}, { timeout: -1 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(t.db.notify('c', 'x'.repeat(8000))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(t.db.listen('', () => {})).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('delivers notifications and stops after unlisten', async () => {
    const got: string[] = [];
    let notify: () => void = () => {};
    let arrived = new Promise<void>((r) => {
      notify = r;
    });
    const unlisten = await t.db.listen('Orders.Placed', (payload) => {
      got.push(payload);
      notify();
    });
    await t.db.notify('Orders.Placed', 'one');
    await arrived;
    // NOTIFY inside a transaction is delivered on commit.
    arrived = new Promise<void>((r) => {
      notify = r;
    });
    await t.db.transaction(async (tx) => {
      await tx.sql`select pg_notify(${'Orders.Placed'}, ${'two'})`;
    });
    await arrived;
    await unlisten();
    await unlisten();
    await t.db.notify('Orders.Placed', 'three');
    await t.db.sql`select 1`;
    expect(got).toEqual(['one', 'two']);
  });

  it('reports health', async () => {
    const report = await t.db.health({ timeoutMs: 5_000 });
    expect(report).toMatchObject({ ok: true, kind: engine });
  });
});

describe('Database without Prisma', () => {
  it.each(testEngines())('runs raw transactions on %s and refuses tx.prisma', async (engine) => {
    const t = await createTestDatabase({ engine, migrations: testSchemaMigrations });
    try {
      expect(() => t.db.prisma).toThrow(PrismaNotConfiguredError);
      await t.db.transaction(async (tx) => {
        expect(() => tx.prisma).toThrow(PrismaNotConfiguredError);
        await tx.sql`insert into audit (what) values (${'raw'})`;
      });
      await expect(
        t.db.transaction(async (tx) => {
          await tx.sql`insert into audit (what) values (${'raw-rollback'})`;
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      const rows = await t.db.sql<{ what: string }>`select what from audit order by id`;
      expect(rows.map((r) => r.what)).toEqual(['raw']);
      const level = await t.db.transaction(
        async (tx) =>
          (await tx.sql<{ l: string }>`select current_setting('transaction_isolation') as l`)[0]?.l,
        { isolationLevel: 'RepeatableRead' },
      );
      expect(level).toBe('repeatable read');
    } finally {
      await t.drop();
    }
  });
});

describe.runIf(testEngines().includes('postgres'))('statement timeout on postgres', () => {
  it('maps a statement cancelled by statement_timeout to QueryTimeoutError, in and out of a transaction', async () => {
    const { url, drop } = await createTestPostgresUrl();
    const db = await createDatabase({ url, pool: { max: 2, statementTimeoutMs: 50 } });
    try {
      const outside = await db.sql`select pg_sleep(30)`.catch((e: unknown) => e);
      expect(outside).toBeInstanceOf(QueryTimeoutError);
      expect(outside).toMatchObject({ code: 'VSA_DB_QUERY_TIMEOUT', statusCode: 503 });
      const inside = await db
        .transaction(async (tx) => tx.sql`select pg_sleep(30)`)
        .catch((e: unknown) => e);
      expect(inside).toBeInstanceOf(QueryTimeoutError);
      // The pool is still usable afterwards.
      expect(await db.sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
      await drop();
    }
  });
});

describe('health and close', () => {
  it('reports a server that accepts but never answers within its timeout', async () => {
    // Accepts TCP connections and stays silent: the client waits, unlike a refused port.
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const db = await createDatabase({ url: `postgres://postgres@127.0.0.1:${port}/nothing` });
    try {
      const started = performance.now();
      const report = await db.health({ timeoutMs: 300 });
      const elapsed = performance.now() - started;
      expect(report).toMatchObject({ ok: false, kind: 'postgres' });
      expect(report.error).toContain('300 ms');
      expect(elapsed).toBeGreaterThanOrEqual(250);
      expect(elapsed).toBeLessThan(300 + 1_000);
      expect(sockets.size).toBeGreaterThanOrEqual(1); // it did reach the silent server
    } finally {
      await db.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('fails clearly on a refused connection', async () => {
    const db = await createDatabase({ url: 'postgres://postgres@127.0.0.1:1/nothing' });
    expect(await db.health({ timeoutMs: 300 })).toMatchObject({ ok: false, kind: 'postgres' });
    await expect(db.sql`select 1`).rejects.toBeInstanceOf(ConnectionUnavailableError);
    await db.close();
    await db.close();
  });

  it.each(testEngines())('closes idempotently on %s; later calls fail clearly', async (engine) => {
    const t = await createTestDatabase({ engine });
    const pending = t.db.sql`select 1 as one`;
    await Promise.all([t.db.close(), t.db.close()]);
    await expect(pending).resolves.toEqual([{ one: 1 }]);
    await expect(t.db.sql`select 1`).rejects.toBeInstanceOf(ConnectionUnavailableError);
    expect((await t.db.health()).ok).toBe(false);
    await t.drop();
  });
});
