import { tickSql } from '../../ticker/ticker.js';
import { LeaseLostError } from '../errors.js';
import { flush } from './checkpoints.js';
import { deadLetterWork } from './dead-letters.js';
import { release } from './leases.js';
import { stepPlain } from './plain-delivery.js';
import type { ConsumerRuntime, PartitionState } from './state.js';
import { stepTransactional } from './transactional-delivery.js';
import { takeWoken, waitForWake } from './wake.js';

/**
 * Runs `work` for one partition: a lost lease drops the partition (its new owner redoes the
 * work since the last commit); any other error is logged and the partition retried after a
 * poll interval.
 */
async function guard(
  rt: ConsumerRuntime,
  ps: PartitionState,
  work: () => Promise<boolean>,
): Promise<boolean> {
  const { group, channel, logger, pollIntervalMs } = rt.options;
  try {
    return await work();
  } catch (error) {
    if (error instanceof LeaseLostError) {
      ps.lost = true;
      rt.held.delete(ps.partition);
      logger?.warn(
        { group, channel, partition: ps.partition },
        'event consumer: lease lost; work since the last commit is redone by the new owner',
      );
      return false;
    }
    ps.wakeAt = Date.now() + pollIntervalMs;
    logger?.error(
      { err: error, group, channel, partition: ps.partition },
      'event consumer: batch failed; retrying',
    );
    return false;
  }
}

function step(rt: ConsumerRuntime, ps: PartitionState): Promise<boolean> {
  return guard(rt, ps, () =>
    rt.options.mode === 'transactional' ? stepTransactional(rt, ps) : stepPlain(rt, ps),
  );
}

/** Makes the partition's position durable (and notices a lost lease) before sleeping. */
function settle(rt: ConsumerRuntime, ps: PartitionState): Promise<boolean> {
  return guard(rt, ps, async () => {
    await flush(rt, ps);
    return false;
  });
}

/** One pass over the partitions ready to work. Returns whether any has more waiting. */
async function pass(rt: ConsumerRuntime, idle: boolean, adminEvery: number): Promise<boolean> {
  const o = rt.options;
  if (idle && (o.ticker === undefined || !o.ticker.running)) await rt.q.query(tickSql(o.schema));
  if (Date.now() >= rt.nextAdminAt) {
    rt.nextAdminAt = Date.now() + adminEvery;
    await deadLetterWork(rt);
  }
  const now = Date.now();
  // A tick wakes only the partitions its keys fall in; a partition that just found nothing
  // waits for one of those (or the poll backstop) instead of a BEGIN/read/COMMIT per tick.
  const woken = takeWoken(rt.wake);
  if (woken === 'all') rt.idle.clear();
  else for (const partition of woken) rt.idle.delete(partition);
  const ready = [...rt.held.values()].filter(
    (p) =>
      !p.lost &&
      !p.releasing &&
      p.blockedSeq === null &&
      p.wakeAt <= now &&
      !rt.idle.has(p.partition),
  );
  const results = await Promise.all(
    ready.map(async (p) => {
      const busy = await step(rt, p);
      // A retry scheduled by the step (wakeAt) must run when due, whatever wakes come.
      if (!busy && p.wakeAt <= Date.now() && p.prefetch === null) rt.idle.add(p.partition);
      return busy;
    }),
  );
  const busy = results.some(Boolean);
  if (!busy) await Promise.all([...rt.held.values()].map((p) => settle(rt, p)));
  const releasing = [...rt.held.values()].filter((p) => p.releasing);
  if (releasing.length > 0) await release(rt, releasing);
  return busy;
}

/** How long an idle loop sleeps: until the next poll, admin check or backoff end. */
function idleDelay(rt: ConsumerRuntime): number {
  let delay = Math.min(rt.options.pollIntervalMs, rt.nextAdminAt - Date.now());
  for (const p of rt.held.values()) {
    if (p.wakeAt > Date.now() && p.blockedSeq === null) {
      delay = Math.min(delay, p.wakeAt - Date.now());
    }
  }
  return delay;
}

/** The delivery loop: runs while the consumer is `running`. @internal */
export async function runLoop(rt: ConsumerRuntime): Promise<void> {
  const o = rt.options;
  let idle = true;
  const adminEvery = Math.min(o.leaseMs / 3, Math.max(50, o.pollIntervalMs * 2));
  while (rt.phase === 'running') {
    try {
      idle = !(await pass(rt, idle, adminEvery));
    } catch (err) {
      o.logger?.error(
        { err, group: o.group, channel: o.channel },
        'event consumer: poll failed; retrying',
      );
      idle = true;
    }
    if (idle && rt.phase === 'running') await waitForWake(rt.wake, idleDelay(rt));
  }
}
