import { setTimeout as sleep } from 'node:timers/promises';
import { context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture } from './capture.fixture.js';
import { createLogger } from './create-logger.js';
import { withLogContext } from './log-context.js';

const SPAN = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};

// A context manager is what an OpenTelemetry SDK registers; without one no span is active.
describe('trace_id and span_id on log lines', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('writes the active span ids on every line inside it, across awaits, after the context fields', async () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    const active = trace.setSpanContext(ROOT_CONTEXT, SPAN);
    await context.with(active, async () => {
      await sleep(1);
      await withLogContext({ requestId: 'r-1' }, async () => logger.child({ a: 1 }).info('inside'));
    });
    logger.info('outside');
    const [inside, outside] = out.lines();
    expect(inside).toMatchObject({
      requestId: 'r-1',
      trace_id: SPAN.traceId,
      span_id: SPAN.spanId,
    });
    expect(out.raw[0]).toMatch(/"requestId":"r-1","trace_id":"0af7/);
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
  });

  it('writes nothing for an invalid (all-zero) span context', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    const invalid = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0'.repeat(32),
      spanId: '0'.repeat(16),
      traceFlags: 0,
    });
    context.with(invalid, () => logger.info('x'));
    expect(out.lines()[0]).not.toHaveProperty('trace_id');
  });

  it('finds the span of a context manager registered after the logger was created, and alternates with span-less lines', () => {
    const out = capture();
    const early = createLogger({ destination: out });
    manager.disable();
    context.disable();
    context.with(trace.setSpanContext(ROOT_CONTEXT, SPAN), () => early.info('no sdk'));
    context.setGlobalContextManager(manager.enable());
    const active = trace.setSpanContext(ROOT_CONTEXT, SPAN);
    for (let i = 0; i < 3; i++) {
      context.with(active, () => early.info('in span'));
      early.info('no span');
    }
    const lines = out.lines();
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines.slice(1).map((line) => [line.msg, line.trace_id, line.span_id])).toEqual(
      Array.from({ length: 3 }, () => [
        ['in span', SPAN.traceId, SPAN.spanId],
        ['no span', undefined, undefined],
      ]).flat(),
    );
  });
});
