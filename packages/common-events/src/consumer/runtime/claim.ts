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

/** A claimed row of `claim` or `reclaimOwn`. */
interface ClaimedRow {
  partition: number;
  tick_id: unknown;
  seq: unknown;
  lease_epoch: unknown;
  blocked_seq: unknown;
  unclean: boolean;
}

/** Adds the claimed partitions to the runtime's held ones; returns how many. */
async function hold(
  rt: ConsumerRuntime,
  rows: readonly ClaimedRow[],
  how: string,
): Promise<number> {
  const { options: o } = rt;
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
      `event consumer: partition ${how}`,
    );
  }
  return rows.length;
}

/**
 * Claims up to `limit` partitions that are free, whose lease expired, or whose owner is dead
 * (its heartbeat expired, or its server session is gone); returns how many were claimed.
 * @internal
 */
export async function claimPartitions(rt: ConsumerRuntime, limit: number): Promise<number> {
  const { rows } = await rt.q.query<ClaimedRow>(rt.sql.claim, [
    ...rt.base,
    rt.memberId,
    rt.options.leaseMs,
    limit,
    Date.now() >= rt.judgeFrom,
    rt.sessionPid,
  ]);
  return hold(rt, rows, 'claimed');
}

/**
 * Takes back, with a new epoch, every lease that still names this member id: an earlier
 * process of this member died holding them. Not limited to a fair share: maintenance hands
 * the extra ones over like any others. Run once per start, so two live processes given one
 * member id (a misconfiguration) do not take the leases from each other over and over.
 * @internal
 */
export async function reclaimOwn(rt: ConsumerRuntime): Promise<number> {
  // A batch of the old process still in flight holds its row: wait for it, but not long (a
  // dead host's transaction can hang until TCP gives up); the next round tries again.
  const waitMs = Math.max(50, Math.min(1_000, rt.options.heartbeatMs));
  const rows = await rt.db.transaction(async (tx) => {
    await tx.query(`set local lock_timeout = ${waitMs}`);
    const claimed = await tx.query<ClaimedRow>(rt.sql.reclaimOwn, [
      ...rt.base,
      rt.memberId,
      rt.options.leaseMs,
    ]);
    return claimed.rows;
  });
  const n = await hold(rt, rows, 'taken back from an earlier process of this member');
  if (n > 0) {
    const o = rt.options;
    o.logger?.info(
      { group: o.group, channel: o.channel, memberId: rt.memberId, partitions: n },
      'event consumer: took back the leases of an earlier process of this member',
    );
  }
  return n;
}
