import { z } from 'zod';
import type { Order } from '../../generated/prisma/client.js';

/** The JSON shape of an order in responses. */
export const orderViewSchema = z.object({
  id: z.uuid(),
  customer: z.string(),
  total: z.int(),
  status: z.string(),
  createdAt: z.iso.datetime(),
});

/** Maps a stored order to its response shape. */
export function orderView(order: Order): z.output<typeof orderViewSchema> {
  return {
    id: order.id,
    customer: order.customer,
    total: order.total,
    status: order.status,
    createdAt: order.createdAt.toISOString(),
  };
}
