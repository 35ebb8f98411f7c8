import type { FastifyPluginAsync } from 'fastify';
import type { InventorySliceOptions } from './deps.js';
import { reserveStockConsumer } from './on-order-placed.js';
import { stockRoutes } from './stock-routes.js';

export type { InventorySliceOptions } from './deps.js';

/**
 * Inventory slice: keeps stock per SKU (`PUT`/`GET /:sku`) and reserves it for placed orders
 * (it hears of orders only through the orders channel), publishing InventoryReserved or
 * InventoryRejected.
 */
export const inventorySlice: FastifyPluginAsync<InventorySliceOptions> = async (
  app,
  { db, bus },
) => {
  await app.register(stockRoutes, { db, bus });
  const consumer = reserveStockConsumer({ db, bus }, app.log.child({ slice: 'inventory' }));
  app.addHook('onReady', async () => consumer.start());
  app.addHook('onClose', async () => consumer.stop());
};
