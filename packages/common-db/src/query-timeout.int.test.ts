import { createServer, type Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, QueryTimeoutError } from './index.js';
import { PrismaClient } from './test-support/generated/prisma/client.js';
import { createTestPostgresUrl, testEngines } from './testing/index.js';

/**
 * A TCP proxy in front of the real server that can stop passing bytes either way: a server
 * that accepted the connection and then hung (SIGSTOP, a cut network), which no server-side
 * statement_timeout can end.
 */
async function freezableProxy(target: URL): Promise<{
  url: string;
  freeze(frozen: boolean): void;
  close(): Promise<void>;
}> {
  let frozen = false;
  const sockets: Socket[] = [];
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.push(client, upstream);
    upstream.connect(Number(target.port || 5432), target.hostname);
    client.on('data', (chunk) => frozen || upstream.write(chunk));
    upstream.on('data', (chunk) => frozen || client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return {
    url: url.href,
    freeze(value) {
      frozen = value;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.runIf(testEngines().includes('postgres'))('pool.queryTimeoutMs (pg query_timeout)', () => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ url, drop } = await createTestPostgresUrl());
  });
  afterAll(() => drop?.());

  it('ends a statement a hung server never answers with VSA_DB_QUERY_TIMEOUT (503), and the pool recovers', async () => {
    const proxy = await freezableProxy(new URL(url));
    const db = await createDatabase({ url: proxy.url, pool: { max: 1, queryTimeoutMs: 300 } });
    try {
      expect(await db.sql`select 1 as one`).toEqual([{ one: 1 }]);
      proxy.freeze(true);
      const outcome = await db.sql`select 2 as two`.then(
        () => 'answered',
        (error: unknown) => error,
      );
      expect(outcome).toBeInstanceOf(QueryTimeoutError);
      expect(outcome).toMatchObject({
        code: 'VSA_DB_QUERY_TIMEOUT',
        kind: 'unavailable',
        statusCode: 503,
        retryAfterSeconds: 1,
      });
      proxy.freeze(false);
      // The connection that timed out was discarded: the next statement gets a fresh one.
      expect(await db.sql`select 3 as three`).toEqual([{ three: 3 }]);
    } finally {
      proxy.freeze(false);
      await db.close();
      await proxy.close();
    }
  });

  it('ends a statement the server keeps running (no statement_timeout) with VSA_DB_QUERY_TIMEOUT', async () => {
    const db = await createDatabase({ url, pool: { queryTimeoutMs: 200 } });
    try {
      await expect(db.sql`select pg_sleep(20)`).rejects.toMatchObject({
        code: 'VSA_DB_QUERY_TIMEOUT',
      });
      await expect(db.transaction(async (tx) => tx.sql`select pg_sleep(20)`)).rejects.toMatchObject(
        { code: 'VSA_DB_QUERY_TIMEOUT' },
      );
      expect(await db.sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });

  it('maps the timeout of a statement sent through Prisma (db.prisma and tx.prisma) the same way', async () => {
    const db = await createDatabase({ url, PrismaClient, pool: { queryTimeoutMs: 200 } });
    try {
      await expect(db.prisma.$queryRaw`select pg_sleep(20)`).rejects.toMatchObject({
        code: 'VSA_DB_QUERY_TIMEOUT',
      });
      await expect(
        db.transaction(async (tx) => tx.prisma.$queryRaw`select pg_sleep(20)`),
      ).rejects.toMatchObject({ code: 'VSA_DB_QUERY_TIMEOUT' });
      expect(await db.prisma.$queryRaw`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await db.close();
    }
  });
});
