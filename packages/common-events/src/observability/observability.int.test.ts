import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus, type EventBus } from '../bus.js';
import {
  OrderPlaced,
  PaymentCaptured,
  type TestEvent,
  testCatalog,
} from '../test-support/catalog.js';
import { waitFor } from '../test-support/consumer-harness.js';
import { holdTransaction } from '../test-support/held-transaction.js';
import type { ConsumerLagSample, EventBusMetrics, HandlerLabels } from './metrics.js';

/** A metrics recorder that keeps every call, as a prom-client adapter would count them. */
function recorder() {
  const calls: { readonly name: string; readonly args: unknown[] }[] = [];
  const rec =
    (name: string) =>
    (...args: unknown[]) =>
      void calls.push({ name, args });
  const metrics: EventBusMetrics = {
    published: rec('published'),
    handled: rec('handled'),
    failed: rec('failed'),
    retried: rec('retried'),
    deadLettered: rec('deadLettered'),
    bufferFlushed: rec('bufferFlushed'),
    consumerLag: rec('consumerLag'),
    oldestTransactionAge: rec('oldestTransactionAge'),
    bufferDepth: rec('bufferDepth'),
    poolUsage: rec('poolUsage'),
  };
  const of = (name: string) => calls.filter((c) => c.name === name).map((c) => c.args);
  return { metrics, calls, of };
}

describe.each(testEngines())('metrics and traces of the bus on %s', (engine) => {
  let t: TestDatabase;
  let bus: EventBus<TestEvent>;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const manager = new AsyncLocalStorageContextManager();
  const m = recorder();

  beforeAll(async () => {
    context.setGlobalContextManager(manager.enable());
    t = await createTestDatabase({ engine });
    bus = createEventBus({
      db: t.db,
      catalog: testCatalog,
      schema: 'bus_observed',
      metrics: m.metrics,
      tracer: provider.getTracer('test'),
    });
    await bus.install();
    await bus.start();
  });
  afterAll(async () => {
    await bus?.stop();
    await t?.drop();
    manager.disable();
    context.disable();
  });

  it('one trace from the publishing span through a transactional handler and the plain handler of what it published', async () => {
    exporter.reset();
    const paid: string[] = [];
    const orders = bus.consumers.subscribe({
      group: 'billing',
      channel: 'orders',
      mode: 'transactional',
      handler: async (event, { tx }) => {
        const id = (event.payload as { orderId: string }).orderId;
        await provider.getTracer('app').startActiveSpan('charge', async (span) => {
          await tx.query('select 1');
          span.end();
        });
        await bus.publish(tx, PaymentCaptured.create({ paymentId: id, amount: 1 }, { key: id }));
      },
    });
    const payments = bus.consumers.subscribe({
      group: 'receipts',
      channel: 'payments',
      handler: (event) => void paid.push(event.id),
    });
    await orders.start();
    await payments.start();
    const request = provider.getTracer('test').startSpan('POST /orders', { kind: SpanKind.SERVER });
    await context.with(trace.setSpan(context.active(), request), () =>
      bus.transaction((tx) =>
        bus.publish(tx, OrderPlaced.create({ orderId: 'traced', total: 1 }, { key: 'traced' })),
      ),
    );
    request.end();
    await waitFor(() => paid.length === 1);
    await orders.stop();
    await payments.stop();

    const spans = exporter.getFinishedSpans();
    const byName = (name: string): ReadableSpan => {
      const span = spans.find((s) => s.name === name);
      expect(span, name).toBeDefined();
      return span as ReadableSpan;
    };
    const http = byName('POST /orders');
    const sendOrders = byName('send orders');
    const processOrders = byName('process orders');
    const sendPayments = byName('send payments');
    const processPayments = byName('process payments');
    const charge = byName('charge');
    const traceId = http.spanContext().traceId;
    for (const s of [sendOrders, processOrders, sendPayments, processPayments, charge]) {
      expect(s.spanContext().traceId).toBe(traceId);
    }
    const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;
    expect(parentOf(sendOrders)).toBe(http.spanContext().spanId);
    expect(parentOf(processOrders)).toBe(sendOrders.spanContext().spanId);
    expect(processOrders.links.map((l) => l.context.spanId)).toEqual([
      sendOrders.spanContext().spanId,
    ]);
    // Work inside the transactional handler is a child of its delivery span.
    expect(parentOf(charge)).toBe(processOrders.spanContext().spanId);
    expect(parentOf(sendPayments)).toBe(processOrders.spanContext().spanId);
    expect(parentOf(processPayments)).toBe(sendPayments.spanContext().spanId);
    expect(sendOrders.kind).toBe(SpanKind.PRODUCER);
    expect(processOrders.kind).toBe(SpanKind.CONSUMER);
    expect(processOrders.attributes).toMatchObject({
      'messaging.system': 'vsa_events',
      'messaging.destination.name': 'orders',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'billing',
      'messaging.destination.partition.id': '0',
      'vsa_events.event.type': 'OrderPlaced',
    });
    expect(sendOrders.attributes).toMatchObject({
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'orders',
    });

    // The stored metadata carries the producer span's W3C context.
    const page = await bus.read('orders');
    const stored = page.events.find((e) => (e.payload as { orderId: string }).orderId === 'traced');
    const sc = sendOrders.spanContext();
    expect(stored?.metadata.traceparent).toBe(`00-${sc.traceId}-${sc.spanId}-01`);
  });

  it('a failing delivery ends its span as an error; retried, failed and dead-lettered are counted', async () => {
    exporter.reset();
    let calls = 0;
    const consumer = bus.consumers.subscribe({
      group: 'flaky',
      channel: 'payments',
      maxAttempts: 2,
      backoff: { initialMs: 1, maxMs: 1 },
      startFrom: 'now',
      handler: () => {
        calls++;
        throw new Error('boom');
      },
    });
    await consumer.start();
    await bus.publish(t.db, PaymentCaptured.create({ paymentId: 'p-x', amount: 1 }));
    await waitFor(() => m.of('deadLettered').length === 1);
    await consumer.stop();
    expect(calls).toBe(2);
    expect(m.of('retried')).toEqual([['flaky', 'payments']]);
    expect(m.of('deadLettered')).toEqual([['flaky', 'payments']]);
    const failed = m.of('failed').filter((a) => (a[0] as HandlerLabels).group === 'flaky');
    expect(failed.map((a) => a[0])).toEqual([
      { group: 'flaky', channel: 'payments', type: 'PaymentCaptured' },
      { group: 'flaky', channel: 'payments', type: 'PaymentCaptured' },
    ]);
    const errors = exporter
      .getFinishedSpans()
      .filter(
        (s) =>
          s.name === 'process payments' &&
          s.attributes['messaging.consumer.group.name'] === 'flaky',
      );
    expect(errors.map((s) => [s.status.code, s.attributes['vsa_events.delivery.attempt']])).toEqual(
      [
        [SpanStatusCode.ERROR, 1],
        [SpanStatusCode.ERROR, 2],
      ],
    );
  });

  it('counts published and handled events by channel and type, buffer flushes, and samples lag back to 0', async () => {
    const seen: string[] = [];
    const consumer = bus.consumers.subscribe({
      group: 'counted',
      channel: 'orders',
      startFrom: 'now',
      handler: (event) => void seen.push(event.id),
    });
    await consumer.start();
    const before = m.of('published').length;
    await bus.transaction((tx) =>
      bus.publish(tx, [
        OrderPlaced.create({ orderId: 'c-1', total: 1 }),
        OrderPlaced.create({ orderId: 'c-2', total: 1 }),
      ]),
    );
    await bus.buffer.publish(OrderPlaced.create({ orderId: 'c-3', total: 1 }));
    expect(m.of('published').slice(before)).toEqual([
      ['orders', 'OrderPlaced', 2],
      ['orders', 'OrderPlaced', 1],
    ]);
    const flushed = m.of('bufferFlushed');
    expect(flushed.at(-1)).toEqual([1, expect.any(Number), true]);
    await waitFor(() => seen.length === 3);
    const handled = m
      .of('handled')
      .filter((a) => (a[0] as HandlerLabels).group === 'counted')
      .map((a) => a[0]);
    expect(handled).toEqual(
      Array(3).fill({ group: 'counted', channel: 'orders', type: 'OrderPlaced' }),
    );
    await waitFor(async () => {
      const mark = m.calls.length;
      await bus.sampleMetrics();
      const sampled = m.calls.slice(mark).filter((c) => c.name === 'consumerLag');
      const lag = (sampled[0]?.args[0] as ConsumerLagSample[] | undefined)?.filter(
        (p) => p.group === 'counted',
      );
      return (
        sampled.length === 1 && lag?.length === 1 && lag[0]?.events === 0 && lag[0].seconds === 0
      );
    });
    await consumer.stop();
    const mark = m.calls.length;
    await bus.sampleMetrics();
    const sampled = m.calls.slice(mark);
    expect(sampled.filter((c) => c.name === 'bufferDepth')).toEqual([
      { name: 'bufferDepth', args: [0] },
    ]);
    expect(sampled.filter((c) => c.name === 'poolUsage').length).toBe(engine === 'pglite' ? 0 : 1);
  });

  it.skipIf(engine === 'pglite')(
    'samples the age of the oldest transaction holding events back, and lag while it waits',
    async () => {
      const held = await holdTransaction(t.db);
      await bus.publish(held.tx, OrderPlaced.create({ orderId: 'held', total: 1 }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const mark = m.calls.length;
      await bus.sampleMetrics();
      const age = m.calls.slice(mark).find((c) => c.name === 'oldestTransactionAge');
      expect(age?.args[0]).toBeGreaterThan(0);
      await held.rollback();
      const after = m.calls.length;
      await bus.sampleMetrics();
      expect(m.calls.slice(after).find((c) => c.name === 'oldestTransactionAge')?.args).toEqual([
        0,
      ]);
    },
  );

  it('refuses a metrics object with an unknown method or a non-function', () => {
    expect(() =>
      createEventBus({ db: t.db, catalog: testCatalog, metrics: { handeld: () => {} } as never }),
    ).toThrow(/unknown method handeld/);
    expect(() => createEventBus({ db: t.db, catalog: testCatalog, tracer: {} as never })).toThrow(
      /OpenTelemetry Tracer/,
    );
  });
});
