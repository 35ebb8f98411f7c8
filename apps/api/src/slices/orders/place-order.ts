import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { OrderPlaced } from './contract.js';
import type { OrdersSliceOptions } from './deps.js';
import { orderView, orderViewSchema } from './order-view.js';

/**
 * PostgreSQL text cannot hold U+0000 (22021 at insert time): rejected here, at validation,
 * so the client gets a 400 naming the field instead of a 500.
 */
const noNul = (value: string): boolean => !value.includes('\u0000');

const placeOrderBody = z.object({
  customer: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine(noNul, { message: 'must not contain the NUL character (\\u0000)' }),
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
        const prisma = tx.prisma as PrismaClient;
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
