import type { Database } from '@vsa/common-db';
import { type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../bus.js';
import type { ConsumerLagSample } from '../observability/metrics.js';
import { decodeCursor } from '../read/cursor.js';
import { getEventsByChannel } from '../read/get-events-by-channel.js';
import { testCatalog } from '../test-support/catalog.js';
import {
  consumerTestDatabase,
  FAST_CONSUMER,
  publishOrders,
  waitFor,
} from '../test-support/consumer-harness.js';
import { pruneEvents } from './admin.js';
import { externalGroupSql } from './external-group.js';
import { getConsumerStatus } from './status.js';
import { subscribe } from './subscribe.js';

const schema = 'external_test';
const group = 'relay:ORDERS';

describe.each(testEngines())('external consumer groups on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;
  const sql = externalGroupSql(schema);

  beforeAll(async () => {
    t = await consumerTestDatabase(engine, schema);
    db = t.db;
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('are listed by the status and the lag metrics, move only by advance, and hold retention back', async () => {
    const first = await db.query(sql.register, [group, 'orders']);
    expect(first.rows).toEqual([{ partitions: 1, types: null, members: 0, created: true }]);
    const again = await db.query(sql.register, [group, 'orders']);
    expect(again.rows).toEqual([{ partitions: 1, types: null, members: 0, created: false }]);

    await publishOrders(db, schema, [
      { key: 'a', n: 1 },
      { key: 'b', n: 2 },
      { key: 'c', n: 3 },
    ]);
    const lagOf = async () =>
      (await getConsumerStatus(db, { schema, group })).groups.map((g) => ({
        group: g.group,
        lag: g.lagEvents,
        owner: g.partitionStatus[0]?.leaseOwner,
      }));
    expect(await lagOf()).toEqual([{ group, lag: 3, owner: null }]);

    // What a relay does after JetStream acknowledged the first event.
    const page = await getEventsByChannel(db, 'orders', { schema, tick: false });
    const firstEvent = page.events[0];
    if (firstEvent === undefined) throw new Error('no event read');
    const at = decodeCursor(firstEvent.position);
    await db.query(sql.advance, [group, 'orders', at.tick, at.seq, 'me:1', 30_000]);
    expect(await lagOf()).toEqual([{ group, lag: 2, owner: 'me:1' }]);
    const leased = (await getConsumerStatus(db, { schema, group })).groups[0]?.partitionStatus[0];
    expect(leased?.position).toBe(firstEvent.position);
    expect(leased?.leaseUntil?.getTime()).toBeGreaterThan(Date.now());

    // The sampled consumerLag gauge reports it like any group.
    const samples: ConsumerLagSample[][] = [];
    const bus = createEventBus({
      db,
      catalog: testCatalog,
      schema,
      metrics: { consumerLag: (partitions) => void samples.push([...partitions]) },
    });
    await bus.sampleMetrics();
    expect(samples[0]?.filter((p) => p.group === group)).toEqual([
      expect.objectContaining({ group, channel: 'orders', partition: 0, events: 2 }),
    ]);

    // Retention keeps what it has not passed: only the first event may go.
    const pruned = await pruneEvents(db, { schema, olderThan: new Date(Date.now() + 60_000) });
    expect(pruned.deletedEvents).toBe(1);
    const left = await getEventsByChannel(db, 'orders', { schema, tick: false });
    expect(left.events.map((e) => e.key)).toEqual(['b', 'c']);

    // Released: the position stays, the lease owner goes.
    await db.query(sql.advance, [group, 'orders', at.tick, at.seq, null, 0]);
    expect(await lagOf()).toEqual([{ group, lag: 2, owner: null }]);
  });

  it('tell a group of bus consumers apart: its partitions, types and members are reported', async () => {
    const consumer = subscribe(db, {
      schema,
      ...FAST_CONSUMER,
      group: 'billing',
      channel: 'orders',
      partitions: 2,
      handler: () => {},
    });
    await consumer.start();
    try {
      await waitFor(async () => {
        const { rows } = await db.query<{ members: number }>(sql.register, ['billing', 'orders']);
        return (rows[0]?.members ?? 0) > 0;
      });
      const { rows } = await db.query(sql.register, ['billing', 'orders']);
      expect(rows).toEqual([{ partitions: 2, types: null, members: 1, created: false }]);
    } finally {
      await consumer.stop();
    }
  });

  it('refuses an unsafe schema name', () => {
    expect(() => externalGroupSql('a"b')).toThrow(
      expect.objectContaining({ code: 'VSA_EVENTS_INVALID_ARGUMENT' }),
    );
  });
});
