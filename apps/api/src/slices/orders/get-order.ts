import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { OrdersSliceOptions } from './deps.js';
import { OrderNotFoundError } from './errors.js';
import { orderView, orderViewSchema } from './order-view.js';

/** `GET /:id` : the order with its lines and status, or a 404 problem. */
export const getOrderRoute: FastifyPluginAsync<OrdersSliceOptions> = async (app, { db }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/:id',
    {
      schema: {
        tags: ['orders'],
        summary: 'An order with its lines and status',
        params: z.object({ id: z.uuid() }),
        response: { 200: orderViewSchema, ...problemResponses(400, 404, 500, 503) },
      },
    },
    async (request) => {
      const order = await db.prisma.order.findUnique({
        where: { id: request.params.id },
        include: { lines: true },
      });
      if (!order) throw new OrderNotFoundError(request.params.id);
      return orderView(order);
    },
  );
};
