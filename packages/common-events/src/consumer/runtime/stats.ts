import { performance } from 'node:perf_hooks';
import { encodeCursor } from '../../read/cursor.js';
import type { ConsumerRuntime, HandlerCounters } from './state.js';
import type { ConsumerStats } from './types.js';

/** Counts one handler call that started at `started` (performance.now()); returns its ms. @internal */
export function recordCall(counters: HandlerCounters, started: number, ok: boolean): number {
  const ms = performance.now() - started;
  if (ok) counters.handled++;
  else counters.failed++;
  counters.count++;
  counters.total += ms;
  if (ms > counters.max) counters.max = ms;
  return ms;
}

/** The consumer's in-process counters. @internal */
export function statsOf(rt: ConsumerRuntime, listening: boolean): ConsumerStats {
  const { counters: c, options: o } = rt;
  return {
    group: o.group,
    channel: o.channel,
    memberId: rt.memberId,
    running: rt.phase === 'running',
    listening,
    handled: c.handled,
    failed: c.failed,
    deadLettered: c.deadLettered,
    handlerMs: {
      count: c.count,
      total: c.total,
      max: c.max,
      mean: c.count === 0 ? 0 : c.total / c.count,
    },
    partitions: [...rt.held.values()]
      .sort((a, b) => a.partition - b.partition)
      .map((p) => ({
        partition: p.partition,
        epoch: p.epoch,
        position: encodeCursor(p.pos),
        blockedSeq: p.blockedSeq,
        guardedRemaining: p.guardedRemaining,
      })),
  };
}
