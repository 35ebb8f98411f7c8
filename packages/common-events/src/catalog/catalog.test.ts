import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StoredEvent } from '../envelope.js';
import {
  InvalidArgumentError,
  InvalidDefinitionError,
  InvalidPayloadError,
  UnknownEventTypeError,
  UpcastFailedError,
} from '../errors.js';
import {
  OrderPlaced,
  OrderShipped,
  OrderShippedV1,
  PaymentCaptured,
  testCatalog,
} from '../test-support/catalog.js';
import { defineCatalog } from './define-catalog.js';
import { defineEvent } from './define-event.js';

function stored(event: ReturnType<typeof OrderShippedV1.create>): StoredEvent {
  return {
    ...event,
    seq: 1,
    txId: '1',
    recordedAt: new Date(),
    storedVersion: event.version,
    position: '1:1',
  };
}

describe('defineEvent', () => {
  it('creates a typed, validated envelope with a UUIDv7 id', () => {
    const e = OrderPlaced.create(
      { orderId: 'o-1', total: 5 },
      { key: 'o-1', idempotencyKey: 'i-1' },
    );
    expect(e).toMatchObject({
      channel: 'orders',
      type: 'OrderPlaced',
      version: 1,
      key: 'o-1',
      idempotencyKey: 'i-1',
      payload: { orderId: 'o-1', total: 5 },
      metadata: {},
    });
    expect(e.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(e.occurredAt).toBeInstanceOf(Date);
  });

  it('names the failing field of an invalid payload', () => {
    const bad = () => OrderPlaced.create({ orderId: 'o-1', total: -1 });
    expect(bad).toThrow(InvalidPayloadError);
    try {
      bad();
    } catch (error) {
      const e = error as InvalidPayloadError;
      expect(e.code).toBe('VSA_EVENTS_INVALID_PAYLOAD');
      expect(e.issues[0]?.path).toBe('total');
      expect(e.message).toContain('field "total"');
      expect(e.message).toContain('orders/OrderPlaced@v1');
    }
  });

  it('reports nested paths and counts further issues', () => {
    try {
      OrderShipped.create({ orderId: 1, carrier: { name: 2 } } as never);
      expect.unreachable();
    } catch (error) {
      const e = error as InvalidPayloadError;
      expect(e.issues.map((i) => i.path)).toEqual(['orderId', 'carrier.name']);
      expect(e.message).toContain('(and 1 more)');
    }
  });

  it.each([
    [{ channel: 'Orders', type: 'A', version: 1 }, 'Invalid channel'],
    [{ channel: '', type: 'A', version: 1 }, 'Invalid channel'],
    [{ channel: 'orders', type: '1A', version: 1 }, 'Invalid event type'],
    [{ channel: 'orders', type: 'A', version: 0 }, 'Invalid version'],
    [{ channel: 'orders', type: 'A', version: 1.5 }, 'Invalid version'],
  ])('rejects bad definitions %j', (input, message) => {
    expect(() => defineEvent({ ...input, payload: z.object({}) } as never)).toThrow(message);
    expect(() => defineEvent({ ...input, payload: z.object({}) } as never)).toThrow(
      InvalidDefinitionError,
    );
  });

  it('rejects a payload that is not a zod schema and a non-function upcast', () => {
    expect(() =>
      defineEvent({ channel: 'a', type: 'A', version: 1, payload: {} as never }),
    ).toThrow('must be a zod schema');
    expect(() =>
      defineEvent({
        channel: 'a',
        type: 'A',
        version: 1,
        payload: z.object({}),
        upcast: 'x' as never,
      }),
    ).toThrow('upcast');
  });

  it('validates envelope options', () => {
    expect(() => OrderPlaced.create({ orderId: 'o', total: 1 }, { key: 5 as never })).toThrow(
      'Invalid event field "key"',
    );
    expect(() =>
      OrderPlaced.create({ orderId: 'o', total: 1 }, { occurredAt: new Date('nope') }),
    ).toThrow('"occurredAt"');
    expect(() => OrderPlaced.create({ orderId: 'o', total: 1 }, { id: 'not-a-uuid' })).toThrow(
      InvalidArgumentError,
    );
    expect(() => OrderPlaced.create({ orderId: 'o', total: 1 }, { idempotencyKey: '' })).toThrow(
      '"idempotencyKey"',
    );
  });

  it('is() narrows by channel and type', () => {
    const e = PaymentCaptured.create({ paymentId: 'p', amount: 1 });
    expect(PaymentCaptured.is(e)).toBe(true);
    expect(OrderPlaced.is(e)).toBe(false);
  });
});

describe('defineCatalog', () => {
  it('derives literal EventChannels / EventTypes constants', () => {
    expect(testCatalog.EventChannels).toEqual({ orders: 'orders', payments: 'payments' });
    expect(testCatalog.EventTypes).toEqual({
      OrderPlaced: 'OrderPlaced',
      OrderShipped: 'OrderShipped',
      PaymentCaptured: 'PaymentCaptured',
    });
    const channel: 'orders' = testCatalog.EventChannels.orders;
    expect(channel).toBe('orders');
  });

  it('finds the latest version by default', () => {
    expect(testCatalog.find('orders', 'OrderShipped')?.version).toBe(2);
    expect(testCatalog.find('orders', 'OrderShipped', 1)?.version).toBe(1);
    expect(testCatalog.find('orders', 'Nope')).toBeUndefined();
  });

  it('rejects duplicates, a type on two channels and empty input', () => {
    expect(() => defineCatalog([OrderPlaced, OrderPlaced])).toThrow('defined twice');
    const clash = defineEvent({
      channel: 'payments',
      type: 'OrderPlaced',
      version: 1,
      payload: z.object({}),
    });
    expect(() => defineCatalog([OrderPlaced, clash])).toThrow('used on channels');
    expect(() => defineCatalog([])).toThrow(InvalidDefinitionError);
    expect(() => defineCatalog([{} as never])).toThrow('defineEvent');
  });

  it('validate(): unknown types and hand-built invalid payloads fail before any write', () => {
    const base = OrderPlaced.create({ orderId: 'o', total: 1 });
    expect(() => testCatalog.validate({ ...base, type: 'OrderLost' })).toThrow(
      UnknownEventTypeError,
    );
    expect(() => testCatalog.validate({ ...base, version: 9 })).toThrow('orders/OrderPlaced@v9');
    expect(() => testCatalog.validate({ ...base, payload: { orderId: 'o' } })).toThrow(
      'field "total"',
    );
    expect(testCatalog.validate(base)).toBe(base);
  });

  it('upcasts old versions on read and leaves current ones alone', () => {
    const old = stored(OrderShippedV1.create({ orderId: 'o', carrier: 'dhl' }));
    const up = testCatalog.upcast(old);
    expect(up.version).toBe(2);
    expect(up.storedVersion).toBe(1);
    expect(up.payload).toEqual({ orderId: 'o', carrier: { name: 'dhl' } });
    const current = stored(OrderPlaced.create({ orderId: 'o', total: 1 }) as never);
    expect(testCatalog.upcast(current)).toBe(current);
  });

  it('fails clearly when an upcast throws or returns an invalid payload', () => {
    const throwing = defineEvent({
      channel: 'orders',
      type: 'OrderShipped',
      version: 2,
      payload: z.object({ orderId: z.string() }),
      upcast: () => {
        throw new Error('boom');
      },
    });
    const wrong = defineEvent({
      channel: 'orders',
      type: 'OrderShipped',
      version: 2,
      payload: z.object({ orderId: z.string() }),
      upcast: () => ({ orderId: 5 }) as never,
    });
    const old = stored(OrderShippedV1.create({ orderId: 'o', carrier: 'dhl' }));
    expect(() => defineCatalog([OrderShippedV1, throwing]).upcast(old)).toThrow(UpcastFailedError);
    expect(() => defineCatalog([OrderShippedV1, wrong]).upcast(old)).toThrow('does not match v2');
  });

  it('exports JSON Schema per event and an AsyncAPI 3.0 document', () => {
    const schemas = testCatalog.jsonSchemas();
    expect(Object.keys(schemas).sort()).toEqual([
      'orders/OrderPlaced@v1',
      'orders/OrderShipped@v1',
      'orders/OrderShipped@v2',
      'payments/PaymentCaptured@v1',
    ]);
    expect(schemas['orders/OrderPlaced@v1']).toMatchObject({
      type: 'object',
      properties: { orderId: { type: 'string' }, total: { type: 'number', minimum: 0 } },
      required: ['orderId', 'total'],
    });
    const doc = testCatalog.asyncApi({ title: 'Shop', version: '2.0.0' });
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.info).toEqual({ title: 'Shop', version: '2.0.0' });
    expect(Object.keys(doc.channels)).toEqual(['orders', 'payments']);
    expect(doc.channels.orders).toMatchObject({
      address: 'orders',
      messages: { 'OrderPlaced.v1': { $ref: '#/components/messages/OrderPlaced.v1' } },
    });
    expect(doc.operations['publish.orders']).toMatchObject({ action: 'send' });
    expect(doc.components.messages['OrderShipped.v2']).toMatchObject({
      name: 'OrderShipped',
      payload: { $ref: '#/components/schemas/OrderShipped.v2' },
    });
    // Every $ref resolves inside the document.
    const json = JSON.stringify(doc);
    for (const [, ref] of json.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      let node: unknown = doc;
      for (const part of (ref as string).split('/')) node = (node as Record<string, unknown>)[part];
      expect(node, ref).toBeDefined();
    }
  });
});
