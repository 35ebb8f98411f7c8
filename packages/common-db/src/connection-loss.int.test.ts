import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionUnavailableError } from './errors.js';
import { createDatabase, type Database } from './index.js';
import { PrismaClient } from './test-support/generated/prisma/client.js';
import { createTestPostgresUrl, testEngines } from './testing/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Backends terminated under a running process (pg_terminate_backend, a failover, an OOM kill
// of one backend): 57P01 reaches every kind of connection the database holds. Each must turn
// into a rejected call of its holder, never an unhandled 'error' event (which ends the
// process: Vitest fails the run on one), and the database must serve the next call.
describe.runIf(testEngines().includes('postgres'))(
  'backends terminated under the pg driver',
  () => {
    let url: string;
    let drop: () => Promise<void>;
    let db: Database<PrismaClient>;
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);

    /** Terminates every backend of the test database but the caller's; returns how many. */
    async function terminateAll(): Promise<number> {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ n: number }>(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid()`,
        );
        return rows[0]?.n ?? 0;
      } finally {
        await admin.end();
      }
    }

    beforeAll(async () => {
      ({ url, drop } = await createTestPostgresUrl());
      db = await createDatabase({ url, pool: { max: 6 }, PrismaClient });
      process.on('uncaughtException', onUncaught);
    });
    afterAll(async () => {
      process.off('uncaughtException', onUncaught);
      await db?.close();
      await drop?.();
    });

    it('idle pooled connections: nothing crashes, the next query gets a new connection', async () => {
      await Promise.all(Array.from({ length: 4 }, () => db.query('select pg_sleep(0.05)')));
      expect(db.poolUsage()?.idle).toBe(4);
      expect(await terminateAll()).toBe(4);
      await sleep(200);
      expect((await db.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect(uncaught).toEqual([]);
    });

    it('a transaction idle between statements: the next statement fails with VSA_DB_CONNECTION_UNAVAILABLE', async () => {
      await db.query('create table if not exists lost_tx (n int)');
      const error = await db
        .transaction(async (tx) => {
          await tx.query('insert into lost_tx values (1)');
          await terminateAll();
          await sleep(200);
          await tx.query('insert into lost_tx values (2)');
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionUnavailableError);
      expect((error as ConnectionUnavailableError).code).toBe('VSA_DB_CONNECTION_UNAVAILABLE');
      // The server rolled it back; the pool serves the next call.
      expect((await db.query('select * from lost_tx')).rows).toEqual([]);
      expect(uncaught).toEqual([]);
    });

    it("a Prisma interactive transaction idle between statements (the adapter's own checked-out connection)", async () => {
      let inside!: () => void;
      const started = new Promise<void>((resolve) => {
        inside = resolve;
      });
      const running = db.prisma
        .$transaction(async (ptx) => {
          await ptx.$queryRaw`select 1`;
          inside();
          await sleep(500);
          await ptx.$queryRaw`select 2`;
        })
        .catch((e: unknown) => e);
      await started;
      expect(await terminateAll()).toBeGreaterThanOrEqual(1);
      expect(await running).toBeInstanceOf(Error);
      expect(await db.prisma.$queryRaw`select 1 as one`).toEqual([{ one: 1 }]);
      expect(uncaught).toEqual([]);
    });

    it('statements in flight (auto-commit and in a transaction) fail with VSA_DB_CONNECTION_UNAVAILABLE', async () => {
      const running = db.query('select pg_sleep(5)').catch((e: unknown) => e);
      const inTx = db
        .transaction(async (tx) => {
          await tx.query('select pg_sleep(5)');
        })
        .catch((e: unknown) => e);
      await sleep(300);
      expect(await terminateAll()).toBeGreaterThanOrEqual(2);
      for (const error of await Promise.all([running, inTx])) {
        expect(error).toBeInstanceOf(ConnectionUnavailableError);
      }
      expect((await db.query<{ one: number }>('select 1 as one')).rows).toEqual([{ one: 1 }]);
      expect(uncaught).toEqual([]);
    });

    it('a LISTEN connection, idle and busy pooled ones at once: all survive, LISTEN comes back', async () => {
      const got: string[] = [];
      const sessions: (number | null)[] = [];
      const unlisten = await db.listen('loss', (payload) => got.push(payload), {
        onSession: (pid) => sessions.push(pid),
      });
      await Promise.all(Array.from({ length: 3 }, () => db.query('select pg_sleep(0.05)')));
      const busy = db.query('select pg_sleep(5)').catch((e: unknown) => e);
      let inside!: () => void;
      const started = new Promise<void>((resolve) => {
        inside = resolve;
      });
      const idleTx = db
        .transaction(async (tx) => {
          await tx.query('select 1');
          inside();
          await sleep(600);
          await tx.query('select 2');
        })
        .catch((e: unknown) => e);
      await started;
      await sleep(100);
      // listener + 3 idle (one runs the sleep) + the transaction's = 5 at least.
      expect(await terminateAll()).toBeGreaterThanOrEqual(4);
      expect(await busy).toBeInstanceOf(ConnectionUnavailableError);
      expect(await idleTx).toBeInstanceOf(ConnectionUnavailableError);
      for (let i = 0; i < 50 && sessions.length < 3; i++) await sleep(100);
      expect(sessions[1]).toBeNull();
      expect(typeof sessions[2]).toBe('number');
      await db.notify('loss', 'after');
      for (let i = 0; i < 50 && got.length === 0; i++) await sleep(50);
      expect(got).toEqual(['after']);
      await unlisten();
      expect(uncaught).toEqual([]);
    });
  },
);
