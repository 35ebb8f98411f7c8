import { type Queryable, toNumber } from '../../executor.js';
import type { Position } from '../../read/cursor.js';
import { LeaseLostError } from '../errors.js';
import type { AttemptInfo, ConsumerRuntime, PartitionState } from './state.js';

/**
 * Moves the partition's stored position from `from` to `to` (fenced compare-and-set),
 * deleting the attempt rows of `clear`. Throws LeaseLostError when fenced out. @internal
 */
export async function advance(
  rt: ConsumerRuntime,
  ex: Queryable,
  ps: PartitionState,
  to: Position,
  clear: readonly number[],
  from: Position = ps.pos,
): Promise<void> {
  const params = [
    ...rt.base,
    ps.partition,
    ps.epoch,
    rt.memberId,
    to.tick,
    to.seq,
    rt.options.leaseMs,
    from.tick,
    from.seq,
  ];
  const { rows } =
    clear.length === 0
      ? await ex.query<{ n: number }>(rt.sql.advance, params)
      : await ex.query<{ n: number }>(rt.sql.advanceAndClear, [...params, clear]);
  if (rows[0]?.n !== 1) throw new LeaseLostError(rt.options.group, ps.partition);
}

/** Records locally a position commit that is durable. @internal */
export function commitLocal(ps: PartitionState, to: Position, clear: readonly number[]): void {
  ps.pos = to;
  for (const seq of clear) ps.attempts.delete(seq);
}

/**
 * Plain mode: sends the commit of `to` without waiting for it (the next page is handled while
 * it commits). Delivery goes on from `to`; `flush` surfaces the outcome. One commit is in
 * flight at a time, so each compare-and-set starts from the position the previous one wrote.
 * @internal
 */
export function startCommit(
  rt: ConsumerRuntime,
  ps: PartitionState,
  to: Position,
  clear: readonly number[],
): void {
  const from = ps.pos;
  const cleared = new Map<number, AttemptInfo>();
  for (const seq of clear) {
    const info = ps.attempts.get(seq);
    if (info !== undefined) cleared.set(seq, info);
  }
  commitLocal(ps, to, clear);
  const done = advance(rt, rt.q, ps, to, clear, from).then(
    () => null,
    (error: unknown) => error,
  );
  ps.pending = { from, cleared, done };
}

/**
 * Waits for the position commit in flight and throws what it threw. A commit that failed
 * without losing the lease (its connection was killed, the database restarted) puts the
 * partition back at the position it started from and keeps the lease: the batch is delivered
 * again (at least once), and the stored position is read back before the next batch, since
 * the failed commit may have landed. @internal
 */
export async function flush(_rt: ConsumerRuntime, ps: PartitionState): Promise<void> {
  const pending = ps.pending;
  if (pending === null) return;
  ps.pending = null;
  const error = await pending.done;
  if (error === null || error === undefined) return;
  if (!(error instanceof LeaseLostError)) {
    ps.pos = pending.from;
    for (const [seq, info] of pending.cleared) ps.attempts.set(seq, info);
    ps.prefetch = null;
    ps.resync = true;
  }
  throw error;
}

/**
 * After a failed position commit: reads the stored position back (it is the last durable
 * one) and goes on from there. Throws LeaseLostError when the lease is no longer ours.
 * @internal
 */
export async function resync(rt: ConsumerRuntime, ps: PartitionState): Promise<void> {
  const { rows } = await rt.q.query<{ tick_id: unknown; seq: unknown }>(rt.sql.readPosition, [
    ...rt.base,
    ps.partition,
    ps.epoch,
    rt.memberId,
  ]);
  const row = rows[0];
  if (row === undefined) throw new LeaseLostError(rt.options.group, ps.partition);
  ps.pos = { tick: toNumber(row.tick_id), seq: toNumber(row.seq) };
  ps.prefetch = null;
  ps.resync = false;
}

/**
 * Locks the partition's position row for the transaction and checks it is where this member
 * believes it is. Throws LeaseLostError otherwise. @internal
 */
export async function lock(rt: ConsumerRuntime, tx: Queryable, ps: PartitionState): Promise<void> {
  const { rows } = await tx.query<{ tick_id: unknown; seq: unknown }>(rt.sql.lockPosition, [
    ...rt.base,
    ps.partition,
    ps.epoch,
    rt.memberId,
  ]);
  const row = rows[0];
  if (
    row === undefined ||
    toNumber(row.tick_id) !== ps.pos.tick ||
    toNumber(row.seq) !== ps.pos.seq
  ) {
    throw new LeaseLostError(rt.options.group, ps.partition);
  }
}
