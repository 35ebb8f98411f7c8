import { createServer, type Server, type Socket } from 'node:net';
import {
  createDatabase,
  type Database,
  databaseOptionsFromSettings,
  dbSettings,
} from '@vsa/common-db';
import { createTestPostgresUrl, testEngines } from '@vsa/common-db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, buildServer } from '../server.js';
import { captureLogger, testSettings } from '../test-support.js';

// A "PostgreSQL" that accepts connections and never answers: a stopped (SIGSTOP) or wedged server.
let hung: Server | undefined;
const sockets: Socket[] = [];
let db: Database | undefined;
let app: ApiServer | undefined;
afterEach(async () => {
  await app?.close();
  await db?.close();
  for (const socket of sockets.splice(0)) socket.destroy();
  await new Promise((resolve) => (hung ? hung.close(resolve) : resolve(undefined)));
  app = undefined;
  db = undefined;
  hung = undefined;
});

describe('a hung database', () => {
  it('answers 503 problem+json with Retry-After once the pool acquire timeout passes', async () => {
    hung = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1');
    await new Promise((resolve) => hung?.once('listening', resolve));
    const port = (hung.address() as { port: number }).port;
    db = await createDatabase({
      url: `postgres://app@127.0.0.1:${port}/app`,
      pool: { connectionTimeoutMs: 200 },
    });
    const database = db;
    app = await buildServer({
      settings: testSettings,
      logger: captureLogger().logger,
      extend: (server) => {
        server.get('/orders-count', { schema: { summary: 'count', response: {} } }, async () => {
          await database.sql`select count(*) from orders`;
          return {};
        });
      },
    });
    const response = await app.inject({ method: 'GET', url: '/orders-count' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(response.json()).toMatchObject({ code: 'VSA_DB_CONNECTION_UNAVAILABLE' });
  });

  it.runIf(testEngines().includes('postgres'))(
    'answers 503 problem+json with Retry-After when a statement outlasts DB_QUERY_TIMEOUT_MS',
    async () => {
      const target = await createTestPostgresUrl();
      try {
        // The settings path the API takes; no server-side statement_timeout to end it first.
        const settings = dbSettings.parse({
          DATABASE_URL: target.url,
          DB_STATEMENT_TIMEOUT_MS: '0',
          DB_QUERY_TIMEOUT_MS: '200',
        });
        db = await createDatabase(databaseOptionsFromSettings(settings));
        const database = db;
        app = await buildServer({
          settings: testSettings,
          logger: captureLogger().logger,
          extend: (server) => {
            server.get('/slow-report', { schema: { summary: 'slow', response: {} } }, async () => {
              await database.sql`select pg_sleep(20)`;
              return {};
            });
          },
        });
        const response = await app.inject({ method: 'GET', url: '/slow-report' });
        expect(response.statusCode).toBe(503);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
        expect(response.json()).toMatchObject({ code: 'VSA_DB_QUERY_TIMEOUT' });
      } finally {
        await app?.close();
        app = undefined;
        await db?.close();
        db = undefined;
        await target.drop();
      }
    },
  );
});
