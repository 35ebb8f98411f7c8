import { performance } from 'node:perf_hooks';
import { context as otelContext } from '@opentelemetry/api';
import type { Transaction } from '@vsa/common-db';
import { type LogContext, withLogContext } from '@vsa/common-logging';
import type { StoredEvent } from '../../envelope.js';
import type { HandlerLabels } from '../../observability/metrics.js';
import { failSpan, startProcessSpan } from '../../observability/tracing.js';
import type { TransactionalHandlerContext } from '../options.js';
import type { ConsumerRuntime, PartitionState } from './state.js';
import { recordCall } from './stats.js';

function logContextOf(group: string, event: StoredEvent): LogContext {
  const { correlationId, causationId } = event.metadata;
  return {
    eventId: event.id,
    consumer: group,
    ...(typeof correlationId === 'string' ? { correlationId } : {}),
    ...(typeof causationId === 'string' ? { causationId } : {}),
  };
}

// One frozen labels object per consumer and event type: recorders cache their series by it.
const labelsByRuntime = new WeakMap<ConsumerRuntime, Map<string, HandlerLabels>>();

// The last answer: a batch is mostly one consumer and one type, so most calls are a compare.
let lastRuntime: ConsumerRuntime | undefined;
let lastType = '';
let lastLabels: HandlerLabels | undefined;

function labelsOf(rt: ConsumerRuntime, event: StoredEvent): HandlerLabels {
  if (rt === lastRuntime && event.type === lastType) return lastLabels as HandlerLabels;
  let byType = labelsByRuntime.get(rt);
  if (byType === undefined) {
    byType = new Map();
    labelsByRuntime.set(rt, byType);
  }
  let labels = byType.get(event.type);
  if (labels === undefined) {
    labels = Object.freeze({ group: rt.options.group, channel: event.channel, type: event.type });
    byType.set(event.type, labels);
  }
  lastRuntime = rt;
  lastType = event.type;
  lastLabels = labels;
  return labels;
}

/** Counts one call in the consumer's counters and its metrics recorder. */
function finish(rt: ConsumerRuntime, event: StoredEvent, started: number, ok: boolean): void {
  const ms = recordCall(rt.counters, started, ok);
  const metrics = rt.options.metrics;
  if (metrics === undefined) return;
  const record = ok ? metrics.handled : metrics.failed;
  if (record === undefined) return;
  try {
    record.call(metrics, labelsOf(rt, event), ms / 1000);
  } catch {
    // A faulty recorder must not turn a handled event into a failed one.
  }
}

/**
 * Runs the handler in the event's log context and in its delivery span (so work inside the
 * handler, its queries and its publishes, are children of that span), and counts the call.
 * Returns a promise only when the handler did (a synchronous handler costs no extra
 * microtask per event). @internal
 */
export function invoke(
  rt: ConsumerRuntime,
  event: StoredEvent,
  ps: PartitionState,
  attempt: number,
  tx: Transaction<unknown> | undefined,
): Promise<void> | undefined {
  const { group, handler } = rt.options;
  const context = { group, partition: ps.partition, attempt, tx } as TransactionalHandlerContext;
  const traced = startProcessSpan(rt.options.tracer, event, {
    group,
    channel: event.channel,
    partition: ps.partition,
    attempt,
  });
  const started = performance.now();
  let result: unknown;
  try {
    const run = () => withLogContext(logContextOf(group, event), () => handler(event, context));
    result = traced.context === undefined ? run() : otelContext.with(traced.context, run);
  } catch (error) {
    finish(rt, event, started, false);
    failSpan(traced.span, error);
    throw error;
  }
  if (typeof (result as PromiseLike<void> | undefined)?.then === 'function') {
    return Promise.resolve(result as PromiseLike<void>).then(
      () => {
        finish(rt, event, started, true);
        traced.span.end();
      },
      (error: unknown) => {
        finish(rt, event, started, false);
        failSpan(traced.span, error);
        throw error;
      },
    );
  }
  finish(rt, event, started, true);
  traced.span.end();
  return undefined;
}
