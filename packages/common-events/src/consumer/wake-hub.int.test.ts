import type { Database } from '@vsa/common-db';
import { type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyHash } from '../ids.js';
import { consumerTestDatabase, publishOrders } from '../test-support/consumer-harness.js';
import { readTickContents } from './wake-hub.js';

const schema = 'wake_hub_test';

describe.each(testEngines())('tick contents on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;
  beforeAll(async () => {
    t = await consumerTestDatabase(engine, schema);
    db = t.db;
  });
  afterAll(async () => {
    await t?.drop();
  });

  const lastTick = async (): Promise<number> => {
    const [row] = await db.sql<{
      id: string;
    }>`select max(tick_id)::text as id from wake_hub_test.ticks`;
    return Number(row?.id);
  };

  it("names each channel of a tick with its events' key hashes, so only their partitions wake", async () => {
    await publishOrders(db, schema, [
      { key: 'a', n: 1 },
      { key: 'b', n: 2 },
    ]);
    const contents = await readTickContents(db, schema, await lastTick());
    expect(contents).not.toBeNull();
    expect([...(contents?.keys() ?? [])]).toEqual(['orders']);
    expect([...(contents?.get('orders') ?? [])].sort()).toEqual(
      [keyHash('a'), keyHash('b')].sort(),
    );
  });

  it('is unknown (null: wake everything) for a tick it cannot read', async () => {
    expect(await readTickContents(db, schema, (await lastTick()) + 1000)).toBeNull();
    expect(await readTickContents(db, 'no_such_schema', 1)).toBeNull();
  });
});
