import { InvalidInputError, NotFoundError, UnprocessableError } from '@vsa/common-errors';

/** `GET /orders/:id` for an id that does not exist: 404 with code ORDERS_NOT_FOUND. */
export class OrderNotFoundError extends NotFoundError {
  constructor(orderId: string) {
    super('ORDERS_NOT_FOUND', `Order ${orderId} not found`, { details: { orderId } });
  }
}

/**
 * An Idempotency-Key sent again with another body (IETF httpapi-idempotency-key draft): 422
 * with code ORDERS_IDEMPOTENCY_KEY_REUSED. Nothing is written.
 */
export class IdempotencyKeyReusedError extends UnprocessableError {
  constructor() {
    super(
      'ORDERS_IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was used with another request body; send a new key for a new order',
    );
  }
}

/** A `cursor` query parameter that no `GET /orders` page returned: 400 ORDERS_INVALID_CURSOR. */
export class InvalidOrderCursorError extends InvalidInputError {
  constructor() {
    super(
      'ORDERS_INVALID_CURSOR',
      'cursor is not a nextCursor of GET /orders; omit it to start from the newest order',
    );
  }
}
