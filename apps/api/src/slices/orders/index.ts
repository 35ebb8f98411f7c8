import type { FastifyPluginAsync } from 'fastify';
import type { OrdersSliceOptions } from './deps.js';
import { getOrderRoute } from './get-order.js';
import { placeOrderRoute } from './place-order.js';

export type { OrdersSliceOptions } from './deps.js';

/** Orders slice: places and reads orders; publishes OrderPlaced. The only file server.ts imports. */
export const ordersSlice: FastifyPluginAsync<OrdersSliceOptions> = async (app, { db, bus }) => {
  // Pass only what the routes need: the slice's own options also carry its `prefix`.
  await app.register(placeOrderRoute, { db, bus });
  await app.register(getOrderRoute, { db, bus });
};
