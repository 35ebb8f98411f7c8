import { context, createTraceState, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { parseOptions } from '@vsa/common-errors';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { at } from '../option-schemas.js';
import { countPublished, type EventBusMetrics, metricsOption } from './metrics.js';

const metricsOf = (metrics: unknown) =>
  parseOptions(z.strictObject({ metrics: metricsOption }), { metrics }, at('test(options)'))
    .metrics;

import { activeTraceFields, parseTraceContext } from './tracing.js';

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
