import { SpanKind } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Infrastructure } from '../infrastructure.js';
import { type ApiServer, buildServer } from '../server.js';
import { createTestInfrastructure } from '../test-infrastructure.js';
import { captureLogger, testSettings } from '../test-support.js';
import { startTracing, type Tracing } from './tracing.js';

// One engine: the SDK registers process-wide, once per file.
const engine = testEngines()[0] ?? 'pglite';

describe(`one trace from POST /orders through every handler it causes (${engine})`, () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let infrastructure: Infrastructure;
  let app: ApiServer;
  const log = captureLogger();

  beforeAll(async () => {
    tracing = startTracing({
      serviceName: 'vsa-api-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    infrastructure = await createTestInfrastructure(engine);
    app = await buildServer({
      settings: testSettings,
      logger: log.logger,
      infrastructure,
      tracing,
    });
  });
  afterAll(async () => {
    await app?.close();
    await infrastructure?.close();
    await tracing?.shutdown();
  });

  it('holds the HTTP span, the publish and the inventory, orders and shipping handler spans, parented and linked', async () => {
    const stocked = await app.inject({
      method: 'PUT',
      url: '/inventory/TRACE-1',
      payload: { available: 1 },
    });
    expect(stocked.statusCode).toBe(200);
    exporter.reset();
    const placed = await app.inject({
      method: 'POST',
      url: '/orders',
      // With an Idempotency-Key the order is stored through Prisma (the key's row and the
      // order in one interactive transaction), so Prisma's query spans join the trace.
      headers: { 'idempotency-key': 'trace-order-1' },
      payload: { customer: 'trace', lines: [{ sku: 'TRACE-1', quantity: 1 }] },
    });
    expect(placed.statusCode).toBe(201);
    const orderId = (placed.json() as { id: string }).id;
    const spanOf = (group: string) =>
      exporter
        .getFinishedSpans()
        .find((s) => s.attributes['messaging.consumer.group.name'] === group);
    await vi.waitFor(() => expect(spanOf('orders.track-shipping')).toBeDefined(), {
      timeout: 15_000,
      interval: 50,
    });

    const spans = exporter.getFinishedSpans();
    const http = spans.find(
      (s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === '/orders',
    );
    expect(http, 'the @fastify/otel request span').toBeDefined();
    const traceId = (http as ReadableSpan).spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const byId = new Map(inTrace.map((s) => [s.spanContext().spanId, s]));
    // Walks up the parents: every span of the chain must reach the HTTP span.
    const ancestors = (s: ReadableSpan): ReadableSpan[] => {
      const up: ReadableSpan[] = [];
      let parent = s.parentSpanContext?.spanId;
      while (parent !== undefined) {
        const p = byId.get(parent);
        if (p === undefined) break;
        up.push(p);
        parent = p.parentSpanContext?.spanId;
      }
      return up;
    };
    const sendOrders = inTrace.find((s) => s.name === 'send orders');
    expect(sendOrders, 'the publish of OrderPlaced').toBeDefined();
    expect(ancestors(sendOrders as ReadableSpan)).toContain(http);
    for (const group of [
      'inventory.reserve-stock',
      'orders.track-inventory',
      'shipping.schedule-shipment',
      'orders.track-shipping',
    ]) {
      const consumer = spanOf(group) as ReadableSpan;
      expect(consumer.spanContext().traceId, group).toBe(traceId);
      expect(consumer.kind).toBe(SpanKind.CONSUMER);
      expect(ancestors(consumer), group).toContain(http);
      // Linked to the producer span that is its parent (messaging conventions).
      const parent = byId.get(consumer.parentSpanContext?.spanId ?? '');
      expect(parent?.name, group).toMatch(/^send /);
      expect(consumer.links.map((l) => l.context.spanId)).toEqual([parent?.spanContext().spanId]);
    }
    const reserve = spanOf('inventory.reserve-stock') as ReadableSpan;
    expect(ancestors(reserve)[0]).toBe(sendOrders);
    // The logs of the request carry its trace id, so logs and traces join.
    const traced = log.lines().filter((line) => line.trace_id === traceId);
    expect(traced.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['order placed', 'stock reserved', 'shipment scheduled']),
    );
    // Prisma 7's instrumentation reports its queries through the driver adapter as child spans
    // of the request that ran them (the handlers' hot paths run raw SQL, without Prisma).
    const prisma = inTrace.filter((s) => s.name.startsWith('prisma:'));
    expect(prisma.length).toBeGreaterThan(0);
    for (const span of prisma) expect(ancestors(span), span.name).toContain(http);
    expect(orderId).toEqual(expect.any(String));
    // The bus's own polling (consumer batches, ticks, leases) makes no traces of its own: only
    // requests and the deliveries they cause are roots or descend from one.
    const roots = spans.filter((s) => s.parentSpanContext === undefined);
    expect(roots.map((s) => s.name)).toEqual(roots.map(() => 'request'));
  });
});
