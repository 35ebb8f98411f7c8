import type { Consumer } from '@vsa/common-events';
import type { FastifyBaseLogger } from 'fastify';
import { InventoryReserved } from '../inventory/contract.js';
import { ShipmentScheduled } from './contract.js';
import type { ShippingSliceOptions } from './deps.js';

/** The consumer group: its position in the inventory channel is independent of every other group. */
export const SCHEDULE_SHIPMENT_GROUP = 'shipping.schedule-shipment';

/**
 * Schedules a shipment for each order whose stock was reserved. Transactional: the shipment row, the
 * ShipmentScheduled event and the group's position commit together, so a crash or a retry
 * never schedules twice (the unique orderId is a second guard).
 */
export function scheduleShipmentConsumer(
  { bus }: ShippingSliceOptions,
  log: FastifyBaseLogger,
): Consumer {
  return bus.consumers.subscribe({
    group: SCHEDULE_SHIPMENT_GROUP,
    channel: InventoryReserved.channel,
    types: [InventoryReserved.type],
    mode: 'transactional',
    partitions: 4,
    async handler(event, { tx }) {
      const { orderId } = InventoryReserved.parse(event.payload);
      const prisma = tx.prisma;
      const existing = await prisma.shipment.findUnique({ where: { orderId } });
      if (existing) return;
      const shipment = await prisma.shipment.create({ data: { orderId } });
      // Correlation and causation ids come from the handler's log context (this event).
      await bus.publish(
        tx,
        ShipmentScheduled.create({ shipmentId: shipment.id, orderId }, { key: orderId }),
      );
      // The line carries eventId, correlationId, causationId and consumer from the context.
      log.info({ orderId, shipmentId: shipment.id }, 'shipment scheduled');
    },
  });
}
