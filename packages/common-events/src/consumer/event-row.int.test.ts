import { type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consumerTestDatabase,
  FAST_CONSUMER,
  publishOrders,
  waitFor,
} from '../test-support/consumer-harness.js';
import { errorJson } from './event-row.js';
import { subscribe } from './subscribe.js';

const schema = 'error_row_test';
const SECRET_URL = 'postgres://u:S3cret@h/db';

describe('errorJson', () => {
  it('scrubs URL credentials from the message and stack, keeps name, code and cause', () => {
    const cause = new Error(`pool to ${SECRET_URL} refused`);
    const error = Object.assign(new Error(`connect to ${SECRET_URL} failed`, { cause }), {
      code: 'ECONNREFUSED',
    });
    const json = errorJson(error);
    expect(JSON.stringify(json)).not.toContain('S3cret');
    expect(json).toMatchObject({ name: 'Error', code: 'ECONNREFUSED' });
    expect(json.message).toMatch(/^connect to postgres:\/\/u:.+@h\/db failed$/);
    expect(JSON.stringify(json)).toContain('refused');
    expect(JSON.stringify(errorJson(`thrown ${SECRET_URL}`))).not.toContain('S3cret');
  });
});

describe.each(testEngines())('stored handler errors on %s', (engine) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await consumerTestDatabase(engine, schema);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('a dead letter whose handler error holds a connection string stores no password', async () => {
    const { db } = t;
    const consumer = subscribe(db, {
      schema,
      ...FAST_CONSUMER,
      group: 'g',
      channel: 'orders',
      startFrom: 'now',
      maxAttempts: 2,
      handler: () => {
        throw new Error(`could not reach ${SECRET_URL}`);
      },
    });
    await consumer.start();
    try {
      await publishOrders(db, schema, [{ key: 'a', n: 1 }]);
      const letters = async () =>
        (await db.query<{ error: string }>(`select error::text from ${schema}.dead_letters`)).rows;
      await waitFor(async () => (await letters()).length === 1);
      const [letter] = await letters();
      expect(letter?.error).toContain('could not reach postgres://u:');
      expect(letter?.error).not.toContain('S3cret');
      const attempts = await db.query<{ e: string | null }>(
        `select last_error::text as e from ${schema}.consumer_attempts`,
      );
      for (const row of attempts.rows) expect(row.e ?? '').not.toContain('S3cret');
    } finally {
      await consumer.stop();
    }
  });
});
