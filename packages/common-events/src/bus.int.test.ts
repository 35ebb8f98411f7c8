import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus, type EventBus } from './bus.js';
import { InvalidArgumentError } from './errors.js';
import {
  OrderPlaced,
  PaymentCaptured,
  type TestEvent,
  testCatalog,
} from './test-support/catalog.js';
import { createTicker, tickChannel } from './ticker/ticker.js';

const ids = (events: { payload: unknown }[]) =>
  events.map((e) => (e.payload as { orderId: string }).orderId);

describe.each(testEngines())('event bus on %s', (engine) => {
  let t: TestDatabase;
  let bus: EventBus<TestEvent>;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    bus = createEventBus({
      db: t.db,
      catalog: testCatalog,
      schema: 'bus_test',
      tickIntervalMs: 1000,
    });
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

  it('publishes in a transaction and reads back in order (no ticker running: reads tick)', async () => {
    await bus.transaction(async (tx) => {
      await bus.publish(tx, [
        OrderPlaced.create({ orderId: 'o-1', total: 1 }, { key: 'o-1' }),
        OrderPlaced.create({ orderId: 'o-2', total: 2 }, { key: 'o-2' }),
      ]);
    });
    const page = await bus.read('orders');
    expect(ids(page.events)).toEqual(['o-1', 'o-2']);
    const next = await bus.read('orders', { after: page.nextCursor });
    expect(next.events).toEqual([]);
  });

  it('validates against the catalog before writing', async () => {
    const bad = { ...OrderPlaced.create({ orderId: 'x', total: 1 }), type: 'OrderLost' };
    await expect(bus.publish(t.db, bad as never)).rejects.toThrow('Unknown event');
  });

  it('a running ticker takes a tick right after bus.transaction commits, and notifies once per tick', async () => {
    const notified: string[] = [];
    const unlisten = await t.db.listen(tickChannel(bus.schema), (payload) =>
      notified.push(payload),
    );
    const ticks: number[] = [];
    const off = bus.ticker.onTick((id) => ticks.push(id));
    await bus.start();
    const before = await bus.read('orders');
    const seen = new Promise<number>((resolve) => {
      const stop = bus.ticker.onTick((id) => {
        stop();
        resolve(id);
      });
    });
    await bus.transaction((tx) =>
      bus.publish(tx, OrderPlaced.create({ orderId: 'o-3', total: 3 })),
    );
    const tickId = await seen; // taken by the commit signal, long before the 1 s backstop
    const page = await bus.read('orders', { after: before.nextCursor, tick: false });
    expect(ids(page.events)).toEqual(['o-3']);
    await expect.poll(() => notified.includes(String(tickId))).toBe(true);
    expect(ticks).toContain(tickId);
    off();
    await unlisten();
  });

  it('the buffer signals the ticker after each batch; watch() catches unobserved commits', async () => {
    const before = await bus.read('orders', { tick: false });
    const next = new Promise<void>((resolve) => {
      const stop = bus.ticker.onTick(() => {
        stop();
        resolve();
      });
    });
    await bus.buffer.publish(OrderPlaced.create({ orderId: 'o-4', total: 4 }));
    await next;
    expect(
      ids((await bus.read('orders', { after: before.nextCursor, tick: false })).events),
    ).toEqual(['o-4']);
    // A transaction the bus did not open: publish arms the watch, the tick follows the commit.
    const watched = new Promise<void>((resolve) => {
      const stop = bus.ticker.onTick(() => {
        stop();
        resolve();
      });
    });
    await t.db.transaction((tx) =>
      bus.publish(tx, PaymentCaptured.create({ paymentId: 'w', amount: 1 })),
    );
    await watched;
    const payments = await bus.read('payments', { tick: false });
    expect(payments.events.map((e) => e.type)).toEqual(['PaymentCaptured']);
  });

  it('tick() records nothing when nothing committed', async () => {
    await bus.ticker.tick();
    expect(await bus.ticker.tick()).toBeNull();
  });

  it('stop() flushes the buffer and stops the ticker', async () => {
    const p = bus.buffer.publish(OrderPlaced.create({ orderId: 'o-5', total: 5 }));
    await bus.stop();
    await p;
    expect(bus.ticker.running).toBe(false);
    expect(bus.buffer.closed).toBe(true);
    const all = await bus.read('orders');
    expect(ids(all.events)).toContain('o-5');
  });

  it('consumers option sets subscribe defaults; a subscription may override them', async () => {
    const polling = createEventBus({
      db: t.db,
      catalog: testCatalog,
      schema: 'bus_test',
      consumers: { listen: false, pollIntervalMs: 20 },
    });
    const seen: string[] = [];
    const pollOnly = polling.consumers.subscribe({
      group: 'defaults-poll',
      channel: 'orders',
      handler: (e) => void seen.push((e.payload as { orderId: string }).orderId),
    });
    const listening = polling.consumers.subscribe({
      group: 'defaults-listen',
      channel: 'orders',
      listen: true,
      handler: () => {},
    });
    // Given as undefined (e.g. from an unset config field): still the bus default.
    const unset = polling.consumers.subscribe({
      group: 'defaults-unset',
      channel: 'orders',
      listen: undefined,
      pollIntervalMs: undefined,
      handler: () => {},
    });
    await polling.start();
    await pollOnly.start();
    await listening.start();
    await unset.start();
    try {
      expect(pollOnly.stats().listening).toBe(false);
      expect(listening.stats().listening).toBe(true);
      expect(unset.stats().listening).toBe(false);
      await polling.transaction((tx) =>
        polling.publish(tx, OrderPlaced.create({ orderId: 'o-poll', total: 1 })),
      );
      const deadline = Date.now() + 10_000;
      while (!seen.includes('o-poll') && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(seen).toContain('o-poll');
    } finally {
      await polling.stop();
    }
  });

  it('rejects bad options', () => {
    expect(() => createEventBus({ db: t.db, catalog: testCatalog, consumers: 5 as never })).toThrow(
      /^createEventBus\(options\): consumers: Invalid input: expected object, received number$/,
    );
    expect(() =>
      createEventBus({ db: t.db, catalog: testCatalog, consumers: { listn: false } as never }),
    ).toThrow(
      'createEventBus(options): consumers: unknown option "listn" (accepted: listen, pollIntervalMs)',
    );
    // A bad logger is refused at once, named as createEventBus's, not at the first subscribe.
    expect(() =>
      createEventBus({ db: t.db, catalog: testCatalog, logger: { info: () => {} } as never }),
    ).toThrow(
      /^createEventBus\(options\): logger: must be a pino-compatible logger.*missing debug, warn, error/,
    );
    expect(() => createEventBus(undefined as never)).toThrow(InvalidArgumentError);
    expect(() =>
      createEventBus({ db: t.db, catalog: testCatalog, tickIntervalMS: 5 } as never),
    ).toThrow(
      /createEventBus\(options\): unknown option "tickIntervalMS" \(accepted: db, catalog, schema, logger, tickIntervalMs, buffer, consumers, metrics, tracer\)/,
    );
    expect(() => createEventBus({ db: {} as never, catalog: testCatalog })).toThrow(
      'createEventBus(options): db: must be a @vsa/common-db Database',
    );
    expect(() => createEventBus({ db: t.db, catalog: {} as never })).toThrow(
      'createEventBus(options): catalog: must come from defineCatalog',
    );
    expect(() => createEventBus({ db: t.db, catalog: testCatalog, schema: 'X' })).toThrow(
      'createEventBus(options): schema: use lower-case letters',
    );
    expect(() => createTicker({ db: t.db, intervalMs: 0 })).toThrow(
      'createTicker(options): intervalMs: must be an integer from 1 to 60000 (got 0)',
    );
  });
});
