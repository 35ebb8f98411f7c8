import { flush } from './checkpoints.js';
import { claimPartitions, reclaimOwn } from './claim.js';
import { heartbeat } from './membership.js';
import type { ConsumerRuntime, PartitionState } from './state.js';
import { wake } from './wake.js';

/** Renews this member's leases; a partition whose lease was not renewed is dropped. */
async function renewLeases(rt: ConsumerRuntime): Promise<void> {
  const { options: o } = rt;
  const mine = [...rt.held.values()].filter((p) => !p.lost);
  if (mine.length === 0) return;
  const { rows } = await rt.q.query<{ partition: number }>(rt.sql.renew, [
    ...rt.base,
    rt.memberId,
    o.leaseMs,
    mine.map((p) => p.partition),
    mine.map((p) => p.epoch),
  ]);
  const renewed = new Set(rows.map((r) => r.partition));
  for (const p of mine) {
    if (!renewed.has(p.partition)) {
      p.lost = true;
      rt.held.delete(p.partition);
      o.logger?.warn(
        { group: o.group, channel: o.channel, partition: p.partition },
        'event consumer: lease lost',
      );
    }
  }
}

/**
 * One maintenance round: heartbeat, renew the leases held (every `leaseMs / 3`), take back
 * the leases of an earlier process of this member (once), then claim partitions up to a fair
 * share of the live members, or mark the extra ones for release after their batch in flight.
 */
async function maintain(rt: ConsumerRuntime): Promise<void> {
  const { options: o } = rt;
  await heartbeat(rt);
  if (rt.judgeFrom === Number.POSITIVE_INFINITY) rt.judgeFrom = Date.now() + o.memberTimeoutMs;
  const members = await rt.q.query<{ n: number }>(rt.sql.liveMembers, [
    ...rt.base,
    rt.sessionPid,
    Date.now() >= rt.judgeFrom,
  ]);
  const fair = Math.ceil(o.partitions / Math.max(1, members.rows[0]?.n ?? 1));
  if (Date.now() >= rt.nextRenewAt) {
    await renewLeases(rt);
    rt.nextRenewAt = Date.now() + Math.floor(o.leaseMs / 3);
  }
  if (rt.phase !== 'running') return;
  if (!rt.reclaimed) {
    try {
      if ((await reclaimOwn(rt)) > 0) wake(rt.wake);
      rt.reclaimed = true;
    } catch (err) {
      o.logger?.warn(
        { err, group: o.group, channel: o.channel, memberId: rt.memberId },
        'event consumer: taking back the leases of an earlier process of this member failed; retrying at the next heartbeat',
      );
    }
  }
  const keeping = [...rt.held.values()].filter((p) => !p.releasing).length;
  if (keeping < fair) {
    if ((await claimPartitions(rt, fair - keeping)) > 0) wake(rt.wake);
  } else if (keeping > fair) {
    // Another member joined: hand partitions over after their batch in flight.
    const extra = [...rt.held.values()].filter((p) => !p.releasing).slice(fair);
    for (const p of extra) p.releasing = true;
    wake(rt.wake);
  }
}

/** Runs one maintenance round, joining the one in flight; failures are logged, not thrown. @internal */
export function runMaintenance(rt: ConsumerRuntime): Promise<void> {
  const { options: o } = rt;
  rt.maintaining ??= maintain(rt)
    .catch((err: unknown) => {
      // Cut off from the database: others may have been too, so do not judge them dead
      // by heartbeats they could not write (see ConsumerRuntime.judgeFrom).
      rt.judgeFrom = Number.POSITIVE_INFINITY;
      o.logger?.warn(
        { err, group: o.group, channel: o.channel },
        'event consumer: lease maintenance failed; retrying',
      );
    })
    .finally(() => {
      rt.maintaining = null;
    });
  return rt.maintaining;
}

/** Makes the partitions' positions durable, then hands their leases back. @internal */
export async function release(rt: ConsumerRuntime, parts: PartitionState[]): Promise<void> {
  if (parts.length === 0) return;
  for (const p of parts) rt.held.delete(p.partition);
  // Positions first: a lease must not be handed over before its last commit landed.
  await Promise.all(parts.map((p) => flush(rt, p).catch(() => {})));
  await rt.q.query(rt.sql.release, [
    ...rt.base,
    rt.memberId,
    parts.map((p) => p.partition),
    parts.map((p) => p.epoch),
  ]);
}
