// The orders slice's public contract: other slices may import this module (schemas and
// types only, no logic) to subscribe to its events.
import { defineEvent } from '@vsa/common-events';
import { z } from 'zod';

/** Channel of every event the orders slice publishes. */
export const ORDERS_CHANNEL = 'orders';

/** An order was accepted and stored. */
export const OrderPlaced = defineEvent({
  channel: ORDERS_CHANNEL,
  type: 'OrderPlaced',
  version: 1,
  description: 'An order was accepted and stored',
  payload: z.object({
    orderId: z.uuid(),
    customer: z.string().min(1),
    lines: z.array(z.object({ sku: z.string().min(1), quantity: z.int().positive() })).min(1),
  }),
});

/** The payload of {@link OrderPlaced}. */
export type OrderPlacedV1 = z.output<typeof OrderPlaced.payload>;
