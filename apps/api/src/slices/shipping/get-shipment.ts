import createError, { type FastifyErrorConstructor } from '@fastify/error';
import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ShippingSliceOptions } from './deps.js';

/** No shipment (yet) for the order: 404 with code SHIPPING_NOT_FOUND. */
export const ShipmentNotFoundError: FastifyErrorConstructor<
  { code: 'SHIPPING_NOT_FOUND'; statusCode: 404 },
  [orderId: string]
> = createError('SHIPPING_NOT_FOUND', 'No shipment for order %s', 404);

const shipmentViewSchema = z.object({
  id: z.uuid(),
  orderId: z.uuid(),
  status: z.string(),
  scheduledAt: z.iso.datetime(),
});

/** `GET /:orderId` : the order's shipment, once the consumer scheduled it. */
export const getShipmentRoute: FastifyPluginAsync<ShippingSliceOptions> = async (app, { db }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/:orderId',
    {
      schema: {
        tags: ['shipping'],
        summary: "An order's shipment, once scheduled",
        params: z.object({ orderId: z.uuid() }),
        response: { 200: shipmentViewSchema, ...problemResponses(400, 404, 500, 503) },
      },
    },
    async (request) => {
      const { orderId } = request.params;
      const shipment = await db.prisma.shipment.findUnique({ where: { orderId } });
      if (!shipment) throw new ShipmentNotFoundError(orderId);
      return { ...shipment, scheduledAt: shipment.scheduledAt.toISOString() };
    },
  );
};
