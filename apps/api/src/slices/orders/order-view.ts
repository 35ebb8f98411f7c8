import { z } from 'zod';
import type { Order, OrderLine } from '../../generated/prisma/client.js';

/**
 * PostgreSQL text cannot hold U+0000 (error 22021 at insert time): text fields reject it at
 * validation, so the client gets a 400 naming the field instead of a 500.
 */
export const noNul = (value: string): boolean => !value.includes('\u0000');

/** A stock keeping unit: letters, digits, `.`, `_`, `-` (so no NUL or spaces). */
export const skuSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a SKU is 1 to 64 letters, digits, ".", "_" or "-"');

/** One line of an order. */
export const orderLineSchema = z.object({
  sku: skuSchema,
  quantity: z.int().positive().max(10_000),
});

/** The JSON shape of an order in responses. */
export const orderViewSchema = z.object({
  id: z.uuid(),
  customer: z.string(),
  status: z.enum(['placed', 'reserved', 'rejected', 'shipped']),
  lines: z.array(orderLineSchema),
  createdAt: z.iso.datetime(),
});

/** The response shape of an order. */
export type OrderView = z.output<typeof orderViewSchema>;

/** Maps a stored order and its lines to its response shape (lines by SKU). */
export function orderView(order: Order & { lines: OrderLine[] }): OrderView {
  return {
    id: order.id,
    customer: order.customer,
    status: order.status as OrderView['status'],
    lines: order.lines
      .map((line) => ({ sku: line.sku, quantity: line.quantity }))
      .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)),
    createdAt: order.createdAt.toISOString(),
  };
}
