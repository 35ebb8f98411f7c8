import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionUnavailableError, createDatabase } from './index.js';
import { createTestPostgresUrl, testEngines } from './testing/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.runIf(testEngines().includes('postgres'))(
  'raw transaction on postgres whose connection drops',
  () => {
    let url: string;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      ({ url, drop } = await createTestPostgresUrl());
    });
    afterAll(() => drop?.());

    // An 'error' event without a listener is thrown from the socket callback: record it.
    let uncaught: unknown[];
    const record = (error: unknown): void => {
      uncaught.push(error);
    };
    beforeEach(() => {
      uncaught = [];
      process.on('uncaughtException', record);
    });
    afterEach(() => {
      process.off('uncaughtException', record);
    });

    it('rejects with ConnectionUnavailableError when the backend is terminated between statements', async () => {
      const db = await createDatabase({ url, pool: { max: 2 } });
      try {
        let killed = false;
        const outcome = await db
          .transaction(async (tx) => {
            const [me] = await tx.sql<{ pid: number }>`select pg_backend_pid() as pid`;
            // From another connection, while this one is "idle in transaction".
            await db.sql`select pg_terminate_backend(${me?.pid})`;
            killed = true;
            await sleep(200); // let the server's FATAL message and the socket close arrive
            await tx.sql`select 1`;
          })
          .then(
            () => 'resolved',
            (error: unknown) => error,
          );
        expect(killed).toBe(true);
        expect(uncaught).toEqual([]);
        expect(outcome).toBeInstanceOf(ConnectionUnavailableError);
        expect(outcome).toMatchObject({ code: 'VSA_DB_CONNECTION_UNAVAILABLE', statusCode: 503 });
        // The dead connection left the pool: the database keeps serving.
        expect(await db.sql`select 1 as one`).toEqual([{ one: 1 }]);
        expect(
          await db.transaction(async (tx) => tx.sql<{ two: number }>`select 2 as two`),
        ).toEqual([{ two: 2 }]);
      } finally {
        await db.close();
      }
    });

    it('fails the commit clearly when the connection dropped after the last statement', async () => {
      const db = await createDatabase({ url, pool: { max: 2 } });
      try {
        const outcome = await db
          .transaction(async (tx) => {
            await tx.sql`create temporary table t (x int)`;
            const [me] = await tx.sql<{ pid: number }>`select pg_backend_pid() as pid`;
            await db.sql`select pg_terminate_backend(${me?.pid})`;
            await sleep(200);
          })
          .catch((error: unknown) => error);
        expect(uncaught).toEqual([]);
        expect(outcome).toBeInstanceOf(ConnectionUnavailableError);
        expect(await db.sql`select 1 as one`).toEqual([{ one: 1 }]);
      } finally {
        await db.close();
      }
    });

    it('close() cuts an idle transaction without crashing; its next statement fails clearly', async () => {
      const db = await createDatabase({ url, pool: { max: 2 }, closeTimeoutMs: 50 });
      let resume: () => void = () => {};
      const paused = new Promise<void>((resolve) => {
        resume = resolve;
      });
      let started: () => void = () => {};
      const inside = new Promise<void>((resolve) => {
        started = resolve;
      });
      const outcome = db
        .transaction(async (tx) => {
          await tx.sql`select 1`;
          started();
          await paused; // idle in transaction while close() runs
          await tx.sql`select 2`;
        })
        .catch((error: unknown) => error);
      await inside;
      await db.close();
      expect(uncaught).toEqual([]);
      resume();
      expect(await outcome).toBeInstanceOf(ConnectionUnavailableError);
      expect(uncaught).toEqual([]);
    });
  },
);
