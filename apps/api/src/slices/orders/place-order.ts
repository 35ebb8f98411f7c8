import { createHash } from 'node:crypto';
import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OrderPlaced } from './contract.js';
import type { OrdersSliceOptions } from './deps.js';
import { claimIdempotencyKey } from './idempotency-keys.js';
import {
  noNul,
  type OrderView,
  orderLineSchema,
  orderView,
  orderViewSchema,
} from './order-view.js';

const placeOrderBody = z.object({
  customer: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .refine(noNul, { message: 'must not contain the NUL character (\\u0000)' }),
  lines: z
    .array(orderLineSchema)
    .min(1)
    .max(100)
    .refine((lines) => new Set(lines.map((line) => line.sku)).size === lines.length, {
      message: 'each SKU appears in one line only',
    }),
});

const placeOrderHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).refine(noNul).optional().meta({
    description:
      'Retry-safe key (IETF httpapi-idempotency-key): a retry replays the first response',
  }),
});

/** SHA-256 of the validated body: what "the same request" means for an Idempotency-Key. */
function fingerprint(body: z.output<typeof placeOrderBody>): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/**
 * `POST /` : stores the order and its lines and publishes OrderPlaced in ONE transaction.
 * With an `Idempotency-Key`, the key row is inserted first (ON CONFLICT DO NOTHING): a
 * concurrent duplicate waits on that row until the first commits, then replays its response;
 * if the first rolled back, the duplicate places the order. So one key makes one order. A key
 * expires after `idempotencyKeys.ttlMs` (IDEMPOTENCY_KEY_TTL_MS); then it places a new order.
 */
export const placeOrderRoute: FastifyPluginAsync<OrdersSliceOptions> = async (
  app,
  { bus, idempotencyKeys },
) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/',
    {
      schema: {
        tags: ['orders'],
        summary: 'Place an order (publishes OrderPlaced)',
        headers: placeOrderHeaders,
        body: placeOrderBody,
        response: { 201: orderViewSchema, ...problemResponses(400, 413, 415, 422, 500, 503) },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const body = request.body;
      const result = await bus.transaction(
        async (tx): Promise<{ replayed: boolean; status: number; view: OrderView }> => {
          const prisma = tx.prisma;
          if (key !== undefined) {
            const print = fingerprint(body);
            const claimed = await claimIdempotencyKey(prisma, key, print, idempotencyKeys.ttlMs);
            if (claimed.replay)
              return { replayed: true, status: claimed.status, view: claimed.view };
          }
          // Two INSERTs and no read-back: a nested create with `include` costs two more
          // round trips (SELECT order, SELECT lines) for rows this request just wrote.
          const created = await prisma.order.create({ data: { customer: body.customer } });
          const lines = body.lines.map((line) => ({
            orderId: created.id,
            sku: line.sku,
            quantity: line.quantity,
          }));
          await prisma.orderLine.createMany({ data: lines });
          const view = orderView({ ...created, lines });
          await bus.publish(
            tx,
            OrderPlaced.create(
              { orderId: created.id, customer: created.customer, lines: view.lines },
              { key: created.id },
            ),
          );
          if (key !== undefined) {
            await prisma.idempotencyKey.update({
              where: { key },
              data: { status: 201, response: view },
            });
          }
          return { replayed: false, status: 201, view };
        },
      );
      if (result.replayed) {
        reply.header('idempotent-replayed', 'true');
        request.log.info({ orderId: result.view.id }, 'order request replayed');
      } else {
        request.log.info({ orderId: result.view.id }, 'order placed');
      }
      return reply.code(201).send(result.view);
    },
  );
};
