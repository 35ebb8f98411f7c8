import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus, type EventBus } from '../bus.js';
import { OrderPlaced, type TestEvent, testCatalog } from '../test-support/catalog.js';
import { label, waitFor } from '../test-support/consumer-harness.js';

describe.each(testEngines())('bus.consumers on %s', (engine) => {
  let t: TestDatabase;
  let bus: EventBus<TestEvent>;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    bus = createEventBus({ db: t.db, catalog: testCatalog, schema: 'bus_consumers' });
    await bus.install();
    await bus.start();
  });
  afterAll(async () => {
    await bus?.stop();
    await t?.drop();
  });

  it('delivers through the in-process ticker, reports status, and stops with the bus', async () => {
    const seen: string[] = [];
    const consumer = bus.consumers.subscribe({
      group: 'audit',
      channel: 'orders',
      // No polling within the test: only the ticker's in-process signal can deliver.
      pollIntervalMs: 600_000,
      listen: false,
      handler: (e) => void seen.push(label(e)),
    });
    await consumer.start();
    await bus.transaction(async (tx) => {
      await bus.publish(tx, OrderPlaced.create({ orderId: 'b', total: 1 }, { key: 'b' }));
    });
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual(['b:1']);
    // Plain mode stores the position just after the handler returns: wait for it, then check.
    await waitFor(
      async () => (await bus.consumers.status({ group: 'audit' })).groups[0]?.lagEvents === 0,
    );
    const status = await bus.consumers.status({ group: 'audit' });
    expect(status.groups[0]).toMatchObject({ group: 'audit', lagEvents: 0, local: { handled: 1 } });
    expect(await bus.consumers.listDeadLetters()).toEqual([]);
    await bus.stop();
    expect(consumer.running).toBe(false);
    await bus.start();
  });
});
