import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus, type EventBus } from './bus.js';
import { OrderPlaced, type TestEvent, testCatalog } from './test-support/catalog.js';

describe.each(testEngines())('event bus on %s', (engine) => {
  let t: TestDatabase;
  let bus: EventBus<TestEvent>;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    bus = createEventBus({ db: t.db, catalog: testCatalog, schema: 'bus_test' });
    await bus.install();
  });
  afterAll(async () => {
    await bus?.stop();
    await t?.drop();
  });

  it('installs idempotently', async () => {
    const again = await bus.install();
    expect(again.applied).toEqual([]);
  });

  it('publishes in a transaction and reads back in order', async () => {
    await bus.transaction(async (tx) => {
      await bus.publish(tx, [
        OrderPlaced.create({ orderId: 'o-1', total: 1 }, { key: 'o-1' }),
        OrderPlaced.create({ orderId: 'o-2', total: 2 }, { key: 'o-2' }),
      ]);
    });
    const page = await bus.read('orders');
    expect(page.events.map((e) => e.payload)).toEqual([
      { orderId: 'o-1', total: 1 },
      { orderId: 'o-2', total: 2 },
    ]);
    const next = await bus.read('orders', { after: page.nextCursor });
    expect(next.events).toEqual([]);
  });
});
