import { toNumber } from '../../executor.js';
import type { AttemptInfo, ConsumerRuntime } from './state.js';

/** The attempt rows of a partition, by seq. */
async function loadAttempts(
  rt: ConsumerRuntime,
  partition: number,
): Promise<Map<number, AttemptInfo>> {
  const { rows } = await rt.q.query<{
    seq: unknown;
    attempts: number;
    finished: number;
    next_attempt_at: Date | string | null;
    last_error: unknown;
  }>(rt.sql.loadAttempts, [...rt.base, partition]);
  const map = new Map<number, AttemptInfo>();
  for (const a of rows) {
    map.set(toNumber(a.seq), {
      attempts: a.attempts,
      finished: a.finished,
      nextAt: a.next_attempt_at === null ? 0 : new Date(a.next_attempt_at).getTime(),
      lastError: a.last_error,
    });
  }
  return map;
}

/** Claims up to `limit` free or expired partitions; returns how many were claimed. @internal */
export async function claimPartitions(rt: ConsumerRuntime, limit: number): Promise<number> {
  const { options: o } = rt;
  const { rows } = await rt.q.query<{
    partition: number;
    tick_id: unknown;
    seq: unknown;
    lease_epoch: unknown;
    blocked_seq: unknown;
    unclean: boolean;
  }>(rt.sql.claim, [...rt.base, rt.memberId, o.leaseMs, limit]);
  for (const row of rows) {
    const attempts = await loadAttempts(rt, row.partition);
    rt.held.set(row.partition, {
      partition: row.partition,
      epoch: toNumber(row.lease_epoch),
      pos: { tick: toNumber(row.tick_id), seq: toNumber(row.seq) },
      blockedSeq: row.blocked_seq === null ? null : toNumber(row.blocked_seq),
      // The last owner died or stalled mid-batch: one of the next batchSize events may be
      // what killed it, so count starts one event at a time until past them.
      guardedRemaining: row.unclean ? o.batchSize : 0,
      limitNext: null,
      wakeAt: 0,
      prefetch: null,
      pending: null,
      resync: false,
      releasing: false,
      lost: false,
      attempts,
    });
    o.logger?.debug(
      { group: o.group, channel: o.channel, partition: row.partition, unclean: row.unclean },
      'event consumer: partition claimed',
    );
  }
  return rows.length;
}
