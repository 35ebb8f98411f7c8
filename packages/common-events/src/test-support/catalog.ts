import { z } from 'zod';
import { defineCatalog, type EventCatalog } from '../catalog/define-catalog.js';
import { defineEvent, type EventDefinition } from '../catalog/define-event.js';

const orderPlacedPayload: z.ZodObject<{ orderId: z.ZodString; total: z.ZodNumber }> = z.object({
  orderId: z.string(),
  total: z.number().nonnegative(),
});
const shippedV1Payload: z.ZodObject<{ orderId: z.ZodString; carrier: z.ZodString }> = z.object({
  orderId: z.string(),
  carrier: z.string(),
});
const shippedV2Payload: z.ZodObject<{
  orderId: z.ZodString;
  carrier: z.ZodObject<{ name: z.ZodString }>;
}> = z.object({ orderId: z.string(), carrier: z.object({ name: z.string() }) });
const paymentPayload: z.ZodObject<{ paymentId: z.ZodString; amount: z.ZodNumber }> = z.object({
  paymentId: z.string(),
  amount: z.number(),
});

/** Events the tests publish. */
export const OrderPlaced: EventDefinition<'orders', 'OrderPlaced', 1, typeof orderPlacedPayload> =
  defineEvent({ channel: 'orders', type: 'OrderPlaced', version: 1, payload: orderPlacedPayload });

export const OrderShippedV1: EventDefinition<'orders', 'OrderShipped', 1, typeof shippedV1Payload> =
  defineEvent({ channel: 'orders', type: 'OrderShipped', version: 1, payload: shippedV1Payload });

export const OrderShipped: EventDefinition<'orders', 'OrderShipped', 2, typeof shippedV2Payload> =
  defineEvent({
    channel: 'orders',
    type: 'OrderShipped',
    version: 2,
    payload: shippedV2Payload,
    upcast: (payload) => {
      const p = payload as { orderId: string; carrier: string };
      return { orderId: p.orderId, carrier: { name: p.carrier } };
    },
  });

export const PaymentCaptured: EventDefinition<
  'payments',
  'PaymentCaptured',
  1,
  typeof paymentPayload
> = defineEvent({
  channel: 'payments',
  type: 'PaymentCaptured',
  version: 1,
  payload: paymentPayload,
});

/** All test events. */
export type TestEvent =
  | typeof OrderPlaced
  | typeof OrderShippedV1
  | typeof OrderShipped
  | typeof PaymentCaptured;

export const testCatalog: EventCatalog<TestEvent> = defineCatalog<TestEvent>([
  OrderPlaced,
  OrderShippedV1,
  OrderShipped,
  PaymentCaptured,
]);
