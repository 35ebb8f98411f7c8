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
 * Waits for the position commit in flight (plain mode pipelines one: the next page is
 * handled while the previous position commits). Throws what that commit threw. @internal
 */
export async function flush(_rt: ConsumerRuntime, ps: PartitionState): Promise<void> {
  const pending = ps.pending;
  if (pending === null) return;
  ps.pending = null;
  const error = await pending.done;
  if (error !== null && error !== undefined) throw error;
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
