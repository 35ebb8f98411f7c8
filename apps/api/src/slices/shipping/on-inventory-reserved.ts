import { randomUUID } from 'node:crypto';
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
      // One raw, named statement: the unique orderId makes a redelivery insert nothing.
      const created = await tx.query<{ id: string }>(
        `insert into "Shipment" (id, "orderId", status, "scheduledAt") values ($1, $2, 'scheduled', $3::timestamp(3))
         on conflict ("orderId") do nothing returning id`,
        [randomUUID(), orderId, new Date().toISOString()],
        { name: 'shipping_schedule' },
      );
      const shipment = created.rows[0];
      if (shipment === undefined) return;
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
