import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { OrdersSliceOptions } from './deps.js';
import { InvalidOrderCursorError } from './errors.js';
import { noNul, orderView, orderViewSchema } from './order-view.js';

const cursorPayload = z.object({ t: z.iso.datetime(), i: z.uuid() });

/** The opaque cursor: the last order's (createdAt, id), base64url JSON. */
function encodeCursor(order: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify({ t: order.createdAt.toISOString(), i: order.id })).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const parsed = cursorPayload.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString()));
    return { createdAt: new Date(parsed.t), id: parsed.i };
  } catch {
    throw new InvalidOrderCursorError();
  }
}

/**
 * `GET /?customer=&cursor=&limit=` : a customer's orders, newest first, by keyset paging on
 * (createdAt, id) so pages stay stable while orders are added.
 */
export const listOrdersRoute: FastifyPluginAsync<OrdersSliceOptions> = async (app, { db }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/',
    {
      schema: {
        tags: ['orders'],
        summary: "A customer's orders, newest first, paged by an opaque cursor",
        querystring: z.object({
          customer: z.string().trim().min(1).max(200).refine(noNul, 'must not contain NUL'),
          cursor: z.string().min(1).max(500).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: {
          200: z.object({
            orders: z.array(orderViewSchema),
            nextCursor: z.string().nullable().meta({ description: 'null on the last page' }),
          }),
          ...problemResponses(400, 500, 503),
        },
      },
    },
    async (request) => {
      const { customer, cursor, limit } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const rows = await db.prisma.order.findMany({
        where: {
          customer,
          ...(after === undefined
            ? {}
            : {
                OR: [
                  { createdAt: { lt: after.createdAt } },
                  { createdAt: after.createdAt, id: { lt: after.id } },
                ],
              }),
        },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        include: { lines: true },
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        orders: page.map(orderView),
        nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last) : null,
      };
    },
  );
};
