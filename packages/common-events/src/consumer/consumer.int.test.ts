import type { TestDatabase } from '@vsa/common-db/testing';
import { testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../envelope.js';
import {
  consumerTestDatabase,
  label,
  publishOrders,
  waitFor,
} from '../test-support/consumer-harness.js';
import { type Consumer, subscribe } from './subscribe.js';

const schema = 'consumer_test';

describe.each(testEngines())('consumer groups on %s', (engine) => {
  let t: TestDatabase;
  const consumers: Consumer[] = [];
  beforeAll(async () => {
    t = await consumerTestDatabase(engine, schema);
  });
  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await t?.drop();
  });

  it('delivers every event of a channel in order and stores the position', async () => {
    await publishOrders(
      t.db,
      schema,
      [1, 2, 3].map((n) => ({ key: 'a', n })),
    );
    const seen: string[] = [];
    const c = subscribe(t.db, {
      group: 'g1',
      channel: 'orders',
      schema,
      batchSize: 2,
      pollIntervalMs: 20,
      handler: (e: StoredEvent) => {
        seen.push(label(e));
      },
    });
    consumers.push(c);
    await c.start();
    await waitFor(() => seen.length === 3);
    await publishOrders(t.db, schema, [{ key: 'a', n: 4 }]);
    await waitFor(() => seen.length === 4);
    expect(seen).toEqual(['a:1', 'a:2', 'a:3', 'a:4']);
    await c.stop();
    const rows = await t.db.sql<{
      lease_owner: string | null;
    }>`select lease_owner from consumer_test.consumer_positions where group_name = 'g1'`;
    expect(rows).toEqual([{ lease_owner: null }]);
  });
});
