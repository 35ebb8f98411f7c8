import { ConsumerStateError } from '../errors.js';
import { registerConsumer } from '../registry.js';
import { type TickContents, wakeHub } from '../wake-hub.js';
import { release, runMaintenance } from './leases.js';
import { ensureGroup, heartbeat, leaveGroup, typesText } from './membership.js';
import { runLoop } from './run-loop.js';
import type { ConsumerRuntime } from './state.js';
import type { Consumer } from './types.js';
import { wake } from './wake.js';

/** What a started consumer holds on to until it stops. @internal */
export interface Lifecycle {
  loop: Promise<void> | null;
  maintenanceTimer: NodeJS.Timeout | null;
  removeWake: (() => Promise<void>) | null;
  removeTick: (() => void) | null;
  removeSession: (() => void) | null;
  unregister: (() => void) | null;
  listening: () => boolean;
  stopped: Promise<void>;
}

/** A lifecycle with nothing started. @internal */
export function newLifecycle(): Lifecycle {
  return {
    loop: null,
    maintenanceTimer: null,
    removeWake: null,
    removeTick: null,
    removeSession: null,
    unregister: null,
    listening: () => false,
    stopped: Promise.resolve(),
  };
}

/** Joins the group, wires wake-ups, claims a first share and starts the loop. @internal */
export async function startConsumer(
  rt: ConsumerRuntime,
  life: Lifecycle,
  consumer: Consumer,
): Promise<void> {
  const { options: o } = rt;
  if (rt.phase !== 'new') {
    throw new ConsumerStateError(
      `Consumer "${o.group}" on "${o.channel}" was already started${rt.phase === 'stopped' ? ' and stopped' : ''}: create a new one with subscribe().`,
    );
  }
  rt.phase = 'running';
  let joined = false;
  try {
    const changed = await ensureGroup(rt);
    joined = true;
    if (changed !== null) {
      o.logger?.warn(
        {
          group: o.group,
          channel: o.channel,
          memberId: rt.memberId,
          from: changed.from,
          to: changed.to,
        },
        `event consumer: group types changed from ${typesText(changed.from)} to ${typesText(changed.to)} (no other member was alive); they apply from the group's current positions on`,
      );
    }
    const hub = wakeHub(rt.db, o.schema, o.logger);
    life.removeWake = await hub.add((contents) => wakeForTick(rt, contents), o.listen);
    life.listening = () => o.listen && hub.listening;
    // The session pid goes with every heartbeat; when it changes (LISTEN lost or back), write
    // it at once: a stale pid would make this live member look dead to the others.
    rt.sessionPid = hub.sessionPid;
    life.removeSession = hub.onSession((pid) => {
      rt.sessionPid = pid;
      if (rt.phase === 'running' || rt.phase === 'stopping') void heartbeat(rt).catch(() => {});
    });
    life.removeTick = o.ticker?.onTick((tickId) => hub.tick(tickId)) ?? null;
    await runMaintenance(rt);
  } catch (error) {
    rt.phase = 'stopped';
    life.removeSession?.();
    await life.removeWake?.();
    life.removeTick?.();
    // Registered by ensureGroup: leave, so this failed start does not count as alive.
    if (joined) await leaveGroup(rt).catch(() => {});
    throw error;
  }
  // Heartbeats are frequent (a dead member is noticed within memberTimeoutMs); leases are
  // renewed inside the same round, less often.
  life.maintenanceTimer = setInterval(() => void runMaintenance(rt), o.heartbeatMs);
  life.maintenanceTimer.unref();
  life.unregister = registerConsumer(rt.db, o.schema, consumer);
  life.loop = runLoop(rt);
}

async function shutDown(rt: ConsumerRuntime, life: Lifecycle): Promise<void> {
  const { options: o } = rt;
  wake(rt.wake);
  // Heartbeats go on until the batch in flight is done: a slow last batch must not make
  // this member look dead and its partitions move before it stored its position.
  await life.loop;
  if (life.maintenanceTimer !== null) clearInterval(life.maintenanceTimer);
  await rt.maintaining;
  try {
    await release(rt, [...rt.held.values()]);
    await leaveGroup(rt);
  } catch (err) {
    o.logger?.warn(
      { err, group: o.group, channel: o.channel },
      'event consumer: releasing leases failed; they expire after leaseMs',
    );
  }
  rt.held.clear();
  life.removeSession?.();
  life.removeTick?.();
  await life.removeWake?.();
  life.unregister?.();
  rt.phase = 'stopped';
}

/** Graceful stop; idempotent, and concurrent calls wait for the same stop. @internal */
export async function stopConsumer(rt: ConsumerRuntime, life: Lifecycle): Promise<void> {
  if (rt.phase === 'new') {
    rt.phase = 'stopped';
    return;
  }
  if (rt.phase !== 'running') {
    await life.stopped;
    return;
  }
  rt.phase = 'stopping';
  life.stopped = shutDown(rt, life);
  await life.stopped;
}

/**
 * Wakes for a tick: not at all when it holds nothing of the channel, else the partitions its
 * key hashes fall in (`key_hash % partitions`, the read's own filter); unknown: every one.
 * @internal
 */
export function wakeForTick(rt: ConsumerRuntime, contents: TickContents | null): void {
  if (contents === null) {
    wake(rt.wake);
    return;
  }
  const hashes = contents.get(rt.options.channel);
  if (hashes === undefined) return;
  const n = rt.options.partitions;
  wake(rt.wake, n === 1 ? [0] : hashes.map((hash) => hash % n));
}
