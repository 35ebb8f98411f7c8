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
      const prisma = tx.prisma;
      const status = event.type === InventoryReserved.type ? 'reserved' : 'rejected';
      const { orderId } =
        status === 'reserved'
          ? InventoryReserved.parse(event.payload)
          : InventoryRejected.parse(event.payload);
      const { count } = await prisma.order.updateMany({
        where: { id: orderId, status: 'placed' },
        data: { status },
      });
      log.info({ orderId, status, changed: count === 1 }, 'order status from inventory');
    },
  });
  const shipping = bus.consumers.subscribe({
    group: TRACK_SHIPPING_GROUP,
    channel: ShipmentScheduled.channel,
    types: [ShipmentScheduled.type],
    mode: 'transactional',
    partitions: 4,
    async handler(event, { tx }) {
      const prisma = tx.prisma;
      const { orderId } = ShipmentScheduled.parse(event.payload);
      const { count } = await prisma.order.updateMany({
        where: { id: orderId, status: { in: ['placed', 'reserved'] } },
        data: { status: 'shipped' },
      });
      log.info({ orderId, status: 'shipped', changed: count === 1 }, 'order status from shipping');
    },
  });
  return [inventory, shipping];
}
