import { NotFoundError } from '@vsa/common-errors';
import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { InventorySliceOptions } from './deps.js';

/** No stock row for the SKU: 404 with code INVENTORY_NOT_FOUND. */
export class StockNotFoundError extends NotFoundError {
  constructor(sku: string) {
    super(
      'INVENTORY_NOT_FOUND',
      `No stock recorded for SKU ${sku}; set it with PUT /inventory/${sku}`,
      {
        details: { sku },
      },
    );
  }
}

const params = z.object({
  sku: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a SKU is 1 to 64 letters, digits, ".", "_" or "-"'),
});

const stockViewSchema = z.object({
  sku: z.string(),
  available: z.int().meta({ description: 'Units not reserved by any order' }),
  updatedAt: z.iso.datetime(),
});

function stockView(stock: { sku: string; available: number; updatedAt: Date }) {
  return { sku: stock.sku, available: stock.available, updatedAt: stock.updatedAt.toISOString() };
}

/** `PUT /:sku` sets the available stock of a SKU; `GET /:sku` reads it. */
export const stockRoutes: FastifyPluginAsync<InventorySliceOptions> = async (app, { db }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.put(
    '/:sku',
    {
      schema: {
        tags: ['inventory'],
        summary: 'Set the available stock of a SKU',
        params,
        body: z.strictObject({ available: z.int().nonnegative().max(1_000_000_000) }),
        response: { 200: stockViewSchema, ...problemResponses(400, 413, 415, 500, 503) },
      },
    },
    async (request) => {
      const { sku } = request.params;
      const { available } = request.body;
      const stock = await db.prisma.stock.upsert({
        where: { sku },
        create: { sku, available },
        update: { available },
      });
      request.log.info({ sku, available }, 'stock set');
      return stockView(stock);
    },
  );
  typed.get(
    '/:sku',
    {
      schema: {
        tags: ['inventory'],
        summary: 'The available stock of a SKU',
        params,
        response: { 200: stockViewSchema, ...problemResponses(400, 404, 500, 503) },
      },
    },
    async (request) => {
      const stock = await db.prisma.stock.findUnique({ where: { sku: request.params.sku } });
      if (!stock) throw new StockNotFoundError(request.params.sku);
      return stockView(stock);
    },
  );
};
