import type { FastifyPluginAsync } from 'fastify';
import type { OrdersSliceOptions } from './deps.js';
import { getOrderRoute } from './get-order.js';
import { listOrdersRoute } from './list-orders.js';
import { placeOrderRoute } from './place-order.js';
import { orderStatusConsumers } from './status-consumers.js';

export type { OrdersSliceOptions } from './deps.js';

/**
 * Orders slice: places, reads and lists orders; publishes OrderPlaced; follows the inventory
 * and shipping events to keep each order's status. The only file server.ts imports.
 */
export const ordersSlice: FastifyPluginAsync<OrdersSliceOptions> = async (app, { db, bus }) => {
  // Pass only what the routes need: the slice's own options also carry its `prefix`.
  await app.register(placeOrderRoute, { db, bus });
  await app.register(getOrderRoute, { db, bus });
  await app.register(listOrdersRoute, { db, bus });
  const consumers = orderStatusConsumers({ db, bus }, app.log.child({ slice: 'orders' }));
  // Start once every plugin is loaded; stop on close so app.close() drains the batch in flight.
  app.addHook('onReady', async () => {
    await Promise.all(consumers.map((consumer) => consumer.start()));
  });
  app.addHook('onClose', async () => {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
  });
};
