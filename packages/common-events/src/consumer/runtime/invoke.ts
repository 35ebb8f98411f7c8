import { performance } from 'node:perf_hooks';
import type { Transaction } from '@vsa/common-db';
import { type LogContext, withLogContext } from '@vsa/common-logging';
import type { StoredEvent } from '../../envelope.js';
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

/**
 * Runs the handler in the event's log context and counts the call. Returns a promise only
 * when the handler did (a synchronous handler costs no extra microtask per event). @internal
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
  const started = performance.now();
  let result: unknown;
  try {
    result = withLogContext(logContextOf(group, event), () => handler(event, context));
  } catch (error) {
    recordCall(rt.counters, started, false);
    throw error;
  }
  if (typeof (result as PromiseLike<void> | undefined)?.then === 'function') {
    return Promise.resolve(result as PromiseLike<void>).then(
      () => recordCall(rt.counters, started, true),
      (error: unknown) => {
        recordCall(rt.counters, started, false);
        throw error;
      },
    );
  }
  recordCall(rt.counters, started, true);
  return undefined;
}
