import { toNumber } from '../../executor.js';
import { type EventRow, eventFromRow } from '../../read/event-row.js';
import { LeaseLostError } from '../errors.js';
import { errorJson } from '../event-row.js';
import { invoke } from './invoke.js';
import type { ConsumerRuntime, PartitionState } from './state.js';

/**
 * `HandlerContext.attempt` of the first delivery after a redrive, whatever the failure policy:
 * a redrive starts the event's count again (a blocked partition delivers it at its head with a
 * fresh retry budget; a parked one delivers the letter once). @internal
 */
export const REDRIVEN_ATTEMPT = 1;

/**
 * A blocked partition (`onFailure: 'block'`) whose dead letter was redriven or discarded goes
 * on: redriven, the event is delivered again at the head; discarded, the partition moves past
 * it.
 */
async function unblock(rt: ConsumerRuntime, ps: PartitionState, blockedSeq: number): Promise<void> {
  const { sql, base } = rt;
  const { rows } = await rt.q.query<{ id: unknown; status: string; tick_id: unknown }>(
    sql.blockedLetter,
    [...base, ps.partition, blockedSeq],
  );
  const letter = rows[0];
  if (letter === undefined || letter.status === 'dead') return;
  const discard = letter.status === 'discarded';
  const to = discard ? { tick: toNumber(letter.tick_id), seq: blockedSeq } : null;
  await rt.db.transaction(async (tx) => {
    const r = await tx.query(sql.unblock, [
      ...base,
      ps.partition,
      ps.epoch,
      rt.memberId,
      blockedSeq,
      to?.tick ?? null,
      to?.seq ?? null,
    ]);
    if (r.rowCount !== 1) throw new LeaseLostError(rt.options.group, ps.partition);
    if (!discard) await tx.query(sql.settleDeadLetter, [letter.id, 'redriven', 0, null]);
  });
  ps.attempts.delete(blockedSeq);
  ps.blockedSeq = null;
  if (to !== null) ps.pos = to;
  ps.wakeAt = 0;
}

/**
 * Delivers the redriven dead letters of parked partitions held here, once each. A blocked
 * partition is left to {@link unblock}: a redrive landing between its check of the letter and
 * this read would otherwise deliver the event here and again at the partition's head.
 */
async function deliverRedrives(rt: ConsumerRuntime): Promise<void> {
  const { sql, base, options: o } = rt;
  const parts = [...rt.held.values()]
    .filter((p) => !p.lost && p.blockedSeq === null)
    .map((p) => p.partition);
  if (parts.length === 0) return;
  const { rows } = await rt.q.query<
    EventRow & { dl_id: unknown; partition: number; attempts: number; tick_id: unknown }
  >(sql.redriving, [...base, parts]);
  for (const row of rows) {
    const ps = rt.held.get(row.partition);
    if (ps === undefined || rt.phase !== 'running') break;
    const event = eventFromRow(row, toNumber(row.tick_id ?? 0));
    // A redrive starts the count again, as in a blocked partition (see REDRIVEN_ATTEMPT);
    // the letter keeps the total of the deliveries it has seen.
    const total = row.attempts + 1;
    try {
      if (o.mode === 'transactional') {
        await rt.db.transaction(async (tx) => {
          await invoke(rt, event, ps, REDRIVEN_ATTEMPT, tx);
          await tx.query(sql.settleDeadLetter, [row.dl_id, 'redriven', total, null]);
        });
      } else {
        await invoke(rt, event, ps, REDRIVEN_ATTEMPT, undefined);
        await rt.q.query(sql.settleDeadLetter, [row.dl_id, 'redriven', total, null]);
      }
    } catch (error) {
      await rt.q.query(sql.settleDeadLetter, [row.dl_id, 'dead', total, errorJson(error)]);
      o.logger?.warn(
        { err: error, group: o.group, channel: o.channel, eventId: event.id },
        'redriven event failed again; still a dead letter',
      );
    }
  }
}

/** Redrives and blocked partitions, checked every few polls by the run loop. @internal */
export async function deadLetterWork(rt: ConsumerRuntime): Promise<void> {
  for (const ps of rt.held.values()) {
    if (ps.blockedSeq === null || ps.lost) continue;
    await unblock(rt, ps, ps.blockedSeq);
  }
  await deliverRedrives(rt);
}
