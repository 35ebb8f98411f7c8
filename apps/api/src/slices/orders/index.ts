import type { FastifyPluginAsync } from 'fastify';
import type { OrdersSliceOptions } from './deps.js';
import { getOrderRoute } from './get-order.js';
import { startIdempotencyKeySweeper } from './idempotency-keys.js';
import { listOrdersRoute } from './list-orders.js';
import { placeOrderRoute } from './place-order.js';
import { orderStatusConsumers } from './status-consumers.js';

export type { OrdersSliceOptions } from './deps.js';

/**
 * Orders slice: places, reads and lists orders; publishes OrderPlaced; follows the inventory
 * and shipping events to keep each order's status. The only file server.ts imports.
 */
export const ordersSlice: FastifyPluginAsync<OrdersSliceOptions> = async (
  app,
  { db, bus, idempotencyKeys },
) => {
  // Pass only what the routes need: the slice's own options also carry its `prefix`.
  const deps = { db, bus, idempotencyKeys };
  await app.register(placeOrderRoute, deps);
  await app.register(getOrderRoute, deps);
  await app.register(listOrdersRoute, deps);
  const log = app.log.child({ slice: 'orders' });
  const consumers = orderStatusConsumers(deps, log);
  let sweeper: { stop(): Promise<void> } | undefined;
  // Start once every plugin is loaded; stop on close so app.close() drains the batch in flight.
  app.addHook('onReady', async () => {
    await Promise.all(consumers.map((consumer) => consumer.start()));
    sweeper = startIdempotencyKeySweeper(db, idempotencyKeys, log);
  });
  app.addHook('onClose', async () => {
    await sweeper?.stop();
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  });
};
