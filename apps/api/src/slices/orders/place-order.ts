import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OrderPlaced } from './contract.js';
import type { OrdersSliceOptions } from './deps.js';
import { orderView, orderViewSchema } from './order-view.js';

const placeOrderBody = z.object({
  customer: z.string().trim().min(1).max(200),
  total: z.int().nonnegative().max(100_000_000),
});

/**
 * `POST /` : stores the order and publishes OrderPlaced in ONE transaction, so the row and
 * the event become visible together or not at all.
 */
export const placeOrderRoute: FastifyPluginAsync<OrdersSliceOptions> = async (app, { bus }) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/',
    {
      schema: {
        body: placeOrderBody,
        response: { 201: orderViewSchema, ...problemResponses(400, 413, 415, 500, 503) },
      },
    },
    async (request, reply) => {
      const order = await bus.transaction(async (tx) => {
        const prisma = tx.prisma;
        const created = await prisma.order.create({ data: request.body });
        await bus.publish(
          tx,
          OrderPlaced.create(
            { orderId: created.id, customer: created.customer, total: created.total },
            { key: created.id },
          ),
        );
        return created;
      });
      request.log.info({ orderId: order.id }, 'order placed');
      return reply.code(201).send(orderView(order));
    },
  );
};
