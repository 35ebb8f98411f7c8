import type { StoredEvent } from '../../envelope.js';
import { decodeCursor, type Position } from '../../read/cursor.js';
import { delayFor } from '../backoff.js';
import { HandlerCrashedError, LeaseLostError } from '../errors.js';
import { errorJson } from '../event-row.js';
import { advance, commitLocal, lock } from './checkpoints.js';
import { type AttemptInfo, type ConsumerRuntime, type PartitionState, samePos } from './state.js';

/** Calls a metrics recorder; a faulty one must not stop the consumer. */
function report(record: () => void): void {
  try {
    record();
  } catch {
    // ignored: metrics are best effort
  }
}

/** What to do with an event before running it. @internal */
export type Verdict = 'run' | 'wait' | 'exhaust';

/** The position just past `event`. @internal */
export function positionOf(event: StoredEvent): Position {
  return decodeCursor(event.position);
}

/**
 * What to do with `event` before running it: `run`, `wait` (backoff not over), or
 * `exhaust` (out of attempts: only at the head of the partition). @internal
 */
export function gate(rt: ConsumerRuntime, ps: PartitionState, event: StoredEvent): Verdict {
  const info = ps.attempts.get(event.seq);
  if (info === undefined) return 'run';
  if (info.attempts >= rt.options.maxAttempts) return 'exhaust';
  if (info.nextAt > Date.now()) {
    ps.wakeAt = info.nextAt;
    return 'wait';
  }
  return 'run';
}

/** The head event may not run: wait, or dead-letter it. Returns whether to step again. @internal */
export async function atHead(
  rt: ConsumerRuntime,
  ps: PartitionState,
  event: StoredEvent,
  verdict: 'wait' | 'exhaust',
): Promise<boolean> {
  if (verdict === 'wait') return false;
  await exhaust(rt, ps, event, ps.attempts.get(event.seq) as AttemptInfo);
  return true;
}

/** Counts a start before the handler runs (guarded mode): a crash leaves started > finished. @internal */
export async function recordStart(
  rt: ConsumerRuntime,
  ps: PartitionState,
  event: StoredEvent,
): Promise<AttemptInfo> {
  const { rows } = await rt.q.query<{ attempts: number; finished: number; last_error: unknown }>(
    rt.sql.recordAttempt,
    [...rt.base, ps.partition, ps.epoch, rt.memberId, event.seq, 1, 0, 0, null],
  );
  const row = rows[0];
  if (row === undefined) throw new LeaseLostError(rt.options.group, ps.partition);
  const info = {
    attempts: row.attempts,
    finished: row.finished,
    nextAt: 0,
    lastError: row.last_error,
  };
  ps.attempts.set(event.seq, info);
  return info;
}

/** A handler failure to store: the event, what it threw, and the progress before it. @internal */
export interface Failure {
  readonly event: StoredEvent;
  readonly error: unknown;
  /** Position to commit with the failure (plain mode: the events handled before it). */
  readonly progress: Position;
  readonly clear: readonly number[];
  /** Whether the attempt's start was counted already (guarded mode). */
  readonly startCounted: boolean;
}

/** Stores a failed attempt (fenced), after committing `progress` in plain mode. @internal */
export async function recordFailure(
  rt: ConsumerRuntime,
  ps: PartitionState,
  f: Failure,
): Promise<void> {
  const { options: o } = rt;
  const before = ps.attempts.get(f.event.seq);
  const failures = (before?.finished ?? 0) + 1;
  const exhausted = (before?.attempts ?? 0) + (f.startCounted ? 0 : 1) >= o.maxAttempts;
  const delay = exhausted ? 0 : delayFor(o.backoff, failures, Math.random());
  const json = errorJson(f.error);
  const row = await rt.db.transaction(async (tx) => {
    if (!samePos(f.progress, ps.pos)) await advance(rt, tx, ps, f.progress, f.clear);
    const { rows } = await tx.query<{ attempts: number; finished: number }>(rt.sql.recordAttempt, [
      ...rt.base,
      ps.partition,
      ps.epoch,
      rt.memberId,
      f.event.seq,
      f.startCounted ? 0 : 1,
      1,
      delay,
      json,
    ]);
    if (rows[0] === undefined) throw new LeaseLostError(o.group, ps.partition);
    return rows[0];
  });
  commitLocal(ps, f.progress, f.clear);
  ps.attempts.set(f.event.seq, {
    attempts: row.attempts,
    finished: row.finished,
    nextAt: Date.now() + delay,
    lastError: json,
  });
  ps.wakeAt = Date.now() + delay;
  if (!exhausted) report(() => o.metrics?.retried?.(o.group, o.channel));
  o.logger?.warn(
    {
      err: f.error,
      group: o.group,
      channel: o.channel,
      partition: ps.partition,
      eventId: f.event.id,
      attempt: row.attempts,
    },
    exhausted ? 'event handler failed for the last time' : 'event handler failed; will retry',
  );
}

/** The event at the head ran out of attempts: dead letter, then park (go on) or block. @internal */
export async function exhaust(
  rt: ConsumerRuntime,
  ps: PartitionState,
  event: StoredEvent,
  info: AttemptInfo,
): Promise<void> {
  const { options: o, sql, base } = rt;
  const error =
    info.attempts > info.finished
      ? errorJson(new HandlerCrashedError(info.attempts, info.finished))
      : (info.lastError ?? { message: 'unknown error' });
  const to = positionOf(event);
  const park = o.onFailure === 'park';
  await rt.db.transaction(async (tx) => {
    await lock(rt, tx, ps);
    await tx.query(sql.insertDeadLetter, [
      ...base,
      ps.partition,
      event.seq,
      event.id,
      info.attempts,
      error,
      to.tick,
    ]);
    await tx.query(sql.deleteAttempt, [...base, event.seq]);
    if (park) await advance(rt, tx, ps, to, []);
    else await tx.query(sql.setBlocked, [...base, ps.partition, ps.epoch, rt.memberId, event.seq]);
  });
  ps.attempts.delete(event.seq);
  rt.counters.deadLettered++;
  report(() => o.metrics?.deadLettered?.(o.group, o.channel));
  if (park) ps.pos = to;
  else ps.blockedSeq = event.seq;
  o.logger?.error(
    {
      group: o.group,
      channel: o.channel,
      partition: ps.partition,
      eventId: event.id,
      seq: event.seq,
      attempts: info.attempts,
    },
    park
      ? 'event moved to dead letters; partition continues'
      : 'event moved to dead letters; partition blocked until it is redriven or discarded',
  );
}
