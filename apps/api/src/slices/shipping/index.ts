import type { FastifyPluginAsync } from 'fastify';
import type { ShippingSliceOptions } from './deps.js';
import { getShipmentRoute } from './get-shipment.js';
import { scheduleShipmentConsumer } from './on-inventory-reserved.js';

export type { ShippingSliceOptions } from './deps.js';

/**
 * Shipping slice: schedules a shipment for every order whose stock was reserved (it hears of
 * them only through the inventory channel) and serves `GET /:orderId`.
 */
export const shippingSlice: FastifyPluginAsync<ShippingSliceOptions> = async (app, { db, bus }) => {
  await app.register(getShipmentRoute, { db, bus });
  const consumer = scheduleShipmentConsumer({ db, bus }, app.log.child({ slice: 'shipping' }));
  // Start once every plugin is loaded; stop on close so app.close() drains the batch in flight.
  app.addHook('onReady', async () => consumer.start());
  app.addHook('onClose', async () => consumer.stop());
};
