import type { Consumer } from '@vsa/common-events';
import type { FastifyBaseLogger } from 'fastify';
import { InventoryRejected, InventoryReserved } from '../inventory/contract.js';
import { ShipmentScheduled } from '../shipping/contract.js';
import type { OrdersSliceOptions } from './deps.js';

/** Group that moves an order to reserved or rejected on the inventory slice's decision. */
export const TRACK_INVENTORY_GROUP = 'orders.track-inventory';
/** Group that moves a reserved order to shipped once shipping scheduled it. */
export const TRACK_SHIPPING_GROUP = 'orders.track-shipping';

/**
 * The order status follows the other slices' events: placed → reserved | rejected → shipped.
 * Each update names the states it may leave, so a redelivery, or a ShipmentScheduled handled
 * before InventoryReserved (two channels, two groups), never moves an order backwards.
 */
export function orderStatusConsumers(
  { bus }: OrdersSliceOptions,
  log: FastifyBaseLogger,
): Consumer[] {
  const inventory = bus.consumers.subscribe({
    group: TRACK_INVENTORY_GROUP,
    channel: InventoryReserved.channel,
    types: [InventoryReserved.type, InventoryRejected.type],
    mode: 'transactional',
    partitions: 4,
    async handler(event, { tx }) {
      const status = event.type === InventoryReserved.type ? 'reserved' : 'rejected';
      const { orderId } =
        status === 'reserved'
          ? InventoryReserved.parse(event.payload)
          : InventoryRejected.parse(event.payload);
      // One raw, named statement per event (Prisma's updateMany costs several times its CPU).
      const { rowCount } = await tx.query(
        `update "Order" set status = $2 where id = $1 and status = 'placed'`,
        [orderId, status],
        { name: 'orders_status_from_inventory' },
      );
      log.info({ orderId, status, changed: rowCount === 1 }, 'order status from inventory');
    },
  });
  const shipping = bus.consumers.subscribe({
    group: TRACK_SHIPPING_GROUP,
    channel: ShipmentScheduled.channel,
    types: [ShipmentScheduled.type],
    mode: 'transactional',
    partitions: 4,
    async handler(event, { tx }) {
      const { orderId } = ShipmentScheduled.parse(event.payload);
      const { rowCount } = await tx.query(
        `update "Order" set status = 'shipped' where id = $1 and status in ('placed', 'reserved')`,
        [orderId],
        { name: 'orders_status_from_shipping' },
      );
      log.info(
        { orderId, status: 'shipped', changed: rowCount === 1 },
        'order status from shipping',
      );
    },
  });
  return [inventory, shipping];
}
