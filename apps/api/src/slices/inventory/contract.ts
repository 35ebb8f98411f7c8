// The inventory slice's public contract: other slices may import this module (schemas and
// types only, no logic) to subscribe to its events.
import { defineEvent } from '@vsa/common-events';
import { z } from 'zod';

/** Channel of every event the inventory slice publishes. */
export const INVENTORY_CHANNEL = 'inventory';

/** Stock was reserved for every line of an order. */
export const InventoryReserved = defineEvent({
  channel: INVENTORY_CHANNEL,
  type: 'InventoryReserved',
  version: 1,
  description: 'Stock was reserved for every line of an order',
  payload: z.object({
    orderId: z.uuid(),
    lines: z.array(z.object({ sku: z.string().min(1), quantity: z.int().positive() })).min(1),
  }),
});

/** Stock was short for at least one line of an order; nothing was reserved. */
export const InventoryRejected = defineEvent({
  channel: INVENTORY_CHANNEL,
  type: 'InventoryRejected',
  version: 1,
  description: 'Stock was short for at least one line of an order; nothing was reserved',
  payload: z.object({
    orderId: z.uuid(),
    shortages: z
      .array(
        z.object({ sku: z.string().min(1), requested: z.int().positive(), available: z.int() }),
      )
      .min(1),
  }),
});

/** The payload of {@link InventoryReserved}. */
export type InventoryReservedV1 = z.output<typeof InventoryReserved.payload>;
/** The payload of {@link InventoryRejected}. */
export type InventoryRejectedV1 = z.output<typeof InventoryRejected.payload>;
