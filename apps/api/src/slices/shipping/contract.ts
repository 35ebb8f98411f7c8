// The shipping slice's public contract (schemas and types only).
import { defineEvent } from '@vsa/common-events';
import { z } from 'zod';

/** Channel of every event the shipping slice publishes. */
export const SHIPPING_CHANNEL = 'shipping';

/** A shipment was scheduled for an order whose stock was reserved. */
export const ShipmentScheduled = defineEvent({
  channel: SHIPPING_CHANNEL,
  type: 'ShipmentScheduled',
  version: 1,
  description: 'A shipment was scheduled for an order whose stock was reserved',
  payload: z.object({ shipmentId: z.uuid(), orderId: z.uuid() }),
});
