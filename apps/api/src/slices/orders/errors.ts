import createError, { type FastifyErrorConstructor } from '@fastify/error';

/** `GET /orders/:id` for an id that does not exist: a 404 problem with code ORDERS_NOT_FOUND. */
export const OrderNotFoundError: FastifyErrorConstructor<
  { code: 'ORDERS_NOT_FOUND'; statusCode: 404 },
  [orderId: string]
> = createError('ORDERS_NOT_FOUND', 'Order %s not found', 404);
