import { context, createTraceState, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { parseOptions } from '@vsa/common-errors';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { at } from '../option-schemas.js';
import { countPublished, type EventBusMetrics, metricsOption } from './metrics.js';

const metricsOf = (metrics: unknown) =>
  parseOptions(z.strictObject({ metrics: metricsOption }), { metrics }, at('test(options)'))
    .metrics;

import {
  activeTraceFields,
  defaultTracer,
  inPublishSpan,
  parseTraceContext,
  startProcessSpan,
  tracerIsOff,
} from './tracing.js';

const TP = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('W3C trace context in event metadata', () => {
  it('parses a valid traceparent (and tracestate) into a remote span context', () => {
    const sc = parseTraceContext({ traceparent: TP, tracestate: 'vendor=a,other=b' });
    expect(sc).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    });
    expect(sc?.traceState?.get('vendor')).toBe('a');
  });

  it('ignores what is not a valid traceparent', () => {
    for (const traceparent of [
      undefined,
      42,
      'tp',
      `${TP}-extra`, // version 00 has exactly four fields
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      `00-${'0'.repeat(32)}-b7ad6b7169203331-01`,
      `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`,
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
    ]) {
      expect(parseTraceContext({ traceparent } as never), String(traceparent)).toBeUndefined();
    }
  });

  it('formats the active span as traceparent + tracestate, nothing without one', () => {
    expect(activeTraceFields()).toBeUndefined();
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const span = {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: 0,
        traceState: createTraceState('vendor=a'),
      };
      const fields = context.with(trace.setSpanContext(ROOT_CONTEXT, span), activeTraceFields);
      expect(fields).toEqual({
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
        tracestate: 'vendor=a',
      });
    } finally {
      manager.disable();
      context.disable();
    }
  });
});

describe('metrics recorder', () => {
  it('counts published events per run of one channel and type, duplicates left out', () => {
    const calls: unknown[] = [];
    const metrics: EventBusMetrics = { published: (...args) => void calls.push(args) };
    countPublished(metrics, [
      { channel: 'a', type: 'X' },
      { channel: 'a', type: 'X' },
      { channel: 'a', type: 'X', duplicate: true },
      { channel: 'a', type: 'Y' },
      { channel: 'b', type: 'Y' },
      { channel: 'a', type: 'X' },
    ]);
    expect(calls).toEqual([
      ['a', 'X', 2],
      ['a', 'Y', 1],
      ['b', 'Y', 1],
      ['a', 'X', 1],
    ]);
    countPublished(metrics, [{ channel: 'a', type: 'X', duplicate: true }]);
    expect(calls).toHaveLength(4);
    expect(() => countPublished(undefined, [{ channel: 'a', type: 'X' }])).not.toThrow();
  });

  it('accepts a partial recorder, refuses unknown methods and non-functions', () => {
    const partial = { handled: () => {} };
    expect(metricsOf(partial)).toBe(partial);
    expect(metricsOf(undefined)).toBeUndefined();
    expect(() => metricsOf({ handeld: () => {} })).toThrow(/metrics.*unknown method handeld/);
    expect(() => metricsOf({ handled: 1 })).toThrow(/metrics.*handled, which must be a function/);
    expect(() => metricsOf('prom')).toThrow(/metrics.*must be an object/);
  });
});

describe('tracing without an SDK costs nothing, and follows one registered later', () => {
  const event = {
    id: '0190b5c2-6f1d-7000-8000-000000000001',
    channel: 'orders',
    type: 'OrderPlaced',
    seq: 1,
    metadata: { traceparent: TP },
  } as never;
  const labels = { group: 'g', channel: 'orders', partition: 0, attempt: 1 };

  it('hands out the shared off span and no context while nothing is registered', async () => {
    const tracer = defaultTracer();
    expect(tracerIsOff(tracer)).toBe(true);
    const a = startProcessSpan(tracer, event, labels);
    const b = startProcessSpan(tracer, event, labels);
    expect(a.context).toBeUndefined();
    expect(a.span).toBe(b.span);
    expect(a.span.isRecording()).toBe(false);
    await expect(inPublishSpan(tracer, [event], async () => 'done')).resolves.toBe('done');
    // A tracer the caller chose is never skipped.
    const exporter = new InMemorySpanExporter();
    const own = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    expect(tracerIsOff(own.getTracer('mine'))).toBe(false);
    await inPublishSpan(own.getTracer('mine'), [event], async () => undefined);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['send orders']);
  });

  it('still carries the active span context into published metadata with a context manager and no provider', async () => {
    const manager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(manager);
    try {
      const tracer = defaultTracer();
      const parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceFlags: 1,
      });
      const fields = await context.with(parent, () =>
        inPublishSpan(tracer, [event], async () => activeTraceFields()),
      );
      expect(fields).toEqual({ traceparent: TP });
      // A delivery continues the producer's trace context in the handler.
      const traced = startProcessSpan(tracer, event, labels);
      expect(traced.context).toBeDefined();
      expect(trace.getSpanContext(traced.context as never)?.traceId).toBe(
        '0af7651916cd43dd8448eb211c80319c',
      );
    } finally {
      manager.disable();
      context.disable();
    }
  });

  it('records with a provider registered after the tracer was taken', async () => {
    const tracer = defaultTracer();
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    try {
      expect(tracerIsOff(tracer)).toBe(false);
      await inPublishSpan(tracer, [event], async () => undefined);
      const traced = startProcessSpan(tracer, event, labels);
      traced.span.end();
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual([
        'send orders',
        'process orders',
      ]);
    } finally {
      trace.disable();
      await provider.shutdown();
    }
  });
});
