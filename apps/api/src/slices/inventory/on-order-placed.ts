import type { Consumer } from '@vsa/common-events';
import type { FastifyBaseLogger } from 'fastify';
import { OrderPlaced } from '../orders/contract.js';
import { InventoryRejected, InventoryReserved } from './contract.js';
import type { InventorySliceOptions } from './deps.js';

/** The consumer group that reserves stock for placed orders. */
export const RESERVE_STOCK_GROUP = 'inventory.reserve-stock';

/**
 * Reserves stock for every line of a placed order, or for none. Transactional: the stock
 * changes, the Reservation row, the InventoryReserved/Rejected event and the group's
 * position commit together, and the Reservation row makes a redelivery a no-op.
 * Each line is a conditional decrement (`available >= quantity`) in SKU order, which locks
 * the rows so two orders never sell the same unit; on a short line the decrements made so
 * far are given back in the same transaction before InventoryRejected is published.
 */
export function reserveStockConsumer(
  { bus }: InventorySliceOptions,
  log: FastifyBaseLogger,
): Consumer {
  return bus.consumers.subscribe({
    group: RESERVE_STOCK_GROUP,
    channel: OrderPlaced.channel,
    types: [OrderPlaced.type],
    mode: 'transactional',
    partitions: 4,
    async handler(event, { tx }) {
      const { orderId, lines } = OrderPlaced.parse(event.payload);
      // The usual path (reserved) in raw, named statements on the handler's transaction: it
      // runs for every order. The rejection path below uses Prisma (rare).
      const seen = await tx.query('select 1 from "Reservation" where "orderId" = $1', [orderId], {
        name: 'inventory_reservation_seen',
      });
      if (seen.rowCount > 0) return;
      const sorted = [...lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
      const taken: typeof sorted = [];
      let short: (typeof sorted)[number] | undefined;
      // UTC wall-clock time for the timestamp(3) columns, as Prisma writes them.
      const now = new Date().toISOString();
      for (const line of sorted) {
        const { rowCount } = await tx.query(
          'update "Stock" set available = available - $2, "updatedAt" = $3::timestamp(3) where sku = $1 and available >= $2',
          [line.sku, line.quantity, now],
          { name: 'inventory_take_stock' },
        );
        if (rowCount === 0) {
          short = line;
          break;
        }
        taken.push(line);
      }
      const prisma = () => tx.prisma;
      if (short === undefined) {
        await tx.query(
          'insert into "Reservation" ("orderId", status, "createdAt") values ($1, $2, $3::timestamp(3))',
          [orderId, 'reserved', now],
          { name: 'inventory_reserve' },
        );
        await bus.publish(
          tx,
          InventoryReserved.create({ orderId, lines: sorted }, { key: orderId }),
        );
        log.info({ orderId }, 'stock reserved');
        return;
      }
      for (const line of taken) {
        await prisma().stock.update({
          where: { sku: line.sku },
          data: { available: { increment: line.quantity } },
        });
      }
      const stocks = await prisma().stock.findMany({
        where: { sku: { in: sorted.map((l) => l.sku) } },
      });
      const availableOf = new Map(stocks.map((stock) => [stock.sku, stock.available]));
      const shortages = sorted
        .filter((line) => (availableOf.get(line.sku) ?? 0) < line.quantity)
        .map((line) => ({
          sku: line.sku,
          requested: line.quantity,
          available: availableOf.get(line.sku) ?? 0,
        }));
      await prisma().reservation.create({ data: { orderId, status: 'rejected' } });
      await bus.publish(tx, InventoryRejected.create({ orderId, shortages }, { key: orderId }));
      log.info({ orderId, shortages }, 'stock rejected');
    },
  });
}
