import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Database, Transaction } from '@vsa/common-db';
import { type LogContext, withLogContext } from '@vsa/common-logging';
import type { StoredEvent } from '../envelope.js';
import { InvalidArgumentError } from '../errors.js';
import { type Queryable, toNumber } from '../executor.js';
import { decodeCursor, encodeCursor, type Position } from '../read/cursor.js';
import { type EventRow, eventFromRow } from '../read/event-row.js';
import { type EventPage, getEventsByChannel } from '../read/get-events-by-channel.js';
import { tickSql } from '../ticker/ticker.js';
import { delayFor } from './backoff.js';
import { type ConsumerSql, consumerSql } from './consumer-sql.js';
import {
  ConsumerConfigMismatchError,
  ConsumerStateError,
  HandlerCrashedError,
  LeaseLostError,
} from './errors.js';
import { errorJson } from './event-row.js';
import {
  type ResolvedSubscribeOptions,
  resolveSubscribeOptions,
  type SubscribeOptions,
  type TransactionalHandlerContext,
} from './options.js';
import { registerConsumer } from './registry.js';
import { resolveStartPosition } from './start-position.js';
import { wakeHub } from './wake-hub.js';

/** Counters of one partition held by this process. */
export interface PartitionStats {
  readonly partition: number;
  /** Fencing token of the current lease. */
  readonly epoch: number;
  /** Position committed last, as a cursor. */
  readonly position: string;
  /** Seq of the event the partition waits at (`onFailure: 'block'`), else null. */
  readonly blockedSeq: number | null;
  /** Events still replayed one by one after taking over a lease its owner did not release. */
  readonly guardedRemaining: number;
}

/** In-process counters of a consumer (since `start()`). */
export interface ConsumerStats {
  readonly group: string;
  readonly channel: string;
  readonly memberId: string;
  readonly running: boolean;
  /** Whether NOTIFY wake-ups are active; false means polling only. */
  readonly listening: boolean;
  /** Handler calls that returned. */
  readonly handled: number;
  /** Handler calls that threw. */
  readonly failed: number;
  /** Events moved to dead letters by this process. */
  readonly deadLettered: number;
  /** Handler duration: calls, total, max and mean in ms. */
  readonly handlerMs: {
    readonly count: number;
    readonly total: number;
    readonly max: number;
    readonly mean: number;
  };
  readonly partitions: readonly PartitionStats[];
}

/** A durable consumer group member: start it, stop it, read its counters. */
export interface Consumer {
  readonly group: string;
  readonly channel: string;
  readonly memberId: string;
  /**
   * Creates the group if new (at `startFrom`), joins it, claims partitions and starts
   * delivering. Resolves once the first claim is done.
   */
  start(): Promise<void>;
  /**
   * Graceful stop: finishes the batch in flight, stores its position, releases the leases
   * (no takeover delay, no attempt counted) and leaves the group. Idempotent.
   */
  stop(): Promise<void>;
  stats(): ConsumerStats;
  readonly running: boolean;
}

interface AttemptInfo {
  attempts: number;
  finished: number;
  nextAt: number;
  lastError: unknown;
}

interface PartitionState {
  readonly partition: number;
  readonly epoch: number;
  pos: Position;
  blockedSeq: number | null;
  /** > 0 after an unclean takeover: events handled one by one with a started counter. */
  guardedRemaining: number;
  /** Transactional mode: handle only this many events next (the prefix before a failure). */
  limitNext: number | null;
  wakeAt: number;
  /** Plain mode: the next page, read while the current one is handled and committed. */
  prefetch: { readonly from: Position; readonly page: Promise<EventPage> } | null;
  /** Plain mode: the position commit in flight; resolves with its error or null. */
  pending: Promise<unknown> | null;
  releasing: boolean;
  lost: boolean;
  readonly attempts: Map<number, AttemptInfo>;
}

class BatchFailure extends Error {
  constructor(
    readonly index: number,
    readonly event: StoredEvent,
    readonly error: unknown,
  ) {
    super('handler failed');
  }
}

const samePos = (a: Position, b: Position): boolean => a.tick === b.tick && a.seq === b.seq;

function positionOf(event: StoredEvent): Position {
  return decodeCursor(event.position);
}

/** Whether two `types` filters select the same events (order and repeats do not matter). */
function sameTypes(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((t) => right.has(t));
}

const typesText = (types: readonly string[] | null): string =>
  types === null ? 'every type' : `[${[...types].sort().join(', ')}]`;

/** A change of a group's `types` made by a joining member. */
interface TypesChange {
  readonly from: readonly string[] | null;
  readonly to: readonly string[] | null;
}

function defaultMemberId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/**
 * Joins (creating if needed) the durable consumer group `options.group` on
 * `options.channel`. Delivery is at-least-once, in commit order per key, and never skips an
 * event that committed late. Call `start()` to begin and `stop()` to leave gracefully.
 *
 * @example
 * const consumer = subscribe(db, {
 *   group: 'billing', channel: 'orders', mode: 'transactional',
 *   handler: async (event, { tx }) => {
 *     await tx.sql`insert into invoices (order_id) values (${event.key}) on conflict do nothing`;
 *   },
 * });
 * await consumer.start();
 * // on shutdown:
 * await consumer.stop();
 */
export function subscribe(db: Database<unknown>, options: SubscribeOptions): Consumer {
  if (typeof db !== 'object' || db === null || typeof db.transaction !== 'function') {
    throw new InvalidArgumentError('subscribe(db, options): db must be a @vsa/common-db Database.');
  }
  const o: ResolvedSubscribeOptions = resolveSubscribeOptions(options);
  const memberId = o.memberId ?? defaultMemberId();
  const sql: ConsumerSql = consumerSql(o.schema);
  const q: Queryable = db;
  const { group, channel, logger } = o;
  const base = [group, channel] as const;

  const held = new Map<number, PartitionState>();
  let state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  let loop: Promise<void> | null = null;
  let maintaining: Promise<void> | null = null;
  let maintenanceTimer: NodeJS.Timeout | null = null;
  let removeWake: (() => Promise<void>) | null = null;
  let removeTick: (() => void) | null = null;
  let hubListening: () => boolean = () => false;
  let woken = false;
  let wakeWaiter: (() => void) | null = null;
  let nextAdmin = 0;
  const counters = { handled: 0, failed: 0, deadLettered: 0, count: 0, total: 0, max: 0 };

  function wake(): void {
    woken = true;
    const w = wakeWaiter;
    wakeWaiter = null;
    w?.();
  }

  function waitForWake(ms: number): Promise<void> {
    if (woken) {
      woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          wakeWaiter = null;
          resolve();
        },
        Math.max(1, ms),
      );
      wakeWaiter = () => {
        clearTimeout(timer);
        woken = false;
        resolve();
      };
    });
  }

  // ---- group creation ----
  /** Creates or joins the group and registers this member; returns a types change made. */
  async function ensureGroup(): Promise<TypesChange | null> {
    return db.transaction(async (tx): Promise<TypesChange | null> => {
      const inserted = await tx.query(sql.insertGroup, [...base, o.partitions, o.types]);
      if (inserted.rows.length === 0) {
        const { rows } = await tx.query<{ partitions: number; types: string[] | null }>(
          sql.selectGroup,
          [...base],
        );
        const stored = rows[0] ?? { partitions: o.partitions, types: o.types };
        if (stored.partitions !== o.partitions) {
          throw new ConsumerConfigMismatchError(group, channel, stored.partitions, o.partitions);
        }
        // Members of one group must agree on what it delivers: a member with other types would
        // move the shared positions past events the others still expect (or the reverse). So
        // the types change only when no other member is alive (a rolling deploy once the old
        // pods are gone); the group row stays locked until this member is registered below, so
        // a member with the old types starting at the same time waits and then sees this one.
        if (!sameTypes(stored.types, o.types)) {
          const others = await tx.query<{ member_id: string }>(sql.otherLiveMembers, [
            ...base,
            memberId,
          ]);
          if (others.rows.length > 0) {
            throw new ConsumerConfigMismatchError(group, channel, {
              stored: stored.types,
              requested: o.types,
              liveMembers: others.rows.map((r) => r.member_id),
            });
          }
          await tx.query(sql.updateTypes, [...base, o.types]);
        }
        await tx.query(sql.heartbeat, [...base, memberId, o.leaseMs]);
        return sameTypes(stored.types, o.types) ? null : { from: stored.types, to: o.types };
      }
      const from = await resolveStartPosition(tx, o.schema, o.startFrom);
      await tx.query(sql.insertPositions, [...base, o.partitions, from.tick, from.seq]);
      await tx.query(sql.heartbeat, [...base, memberId, o.leaseMs]);
      return null;
    });
  }

  // ---- leases ----
  async function maintain(): Promise<void> {
    await q.query(sql.heartbeat, [...base, memberId, o.leaseMs]);
    const members = await q.query<{ n: number }>(sql.liveMembers, [...base]);
    const fair = Math.ceil(o.partitions / Math.max(1, members.rows[0]?.n ?? 1));
    const mine = [...held.values()].filter((p) => !p.lost);
    if (mine.length > 0) {
      const { rows } = await q.query<{ partition: number }>(sql.renew, [
        ...base,
        memberId,
        o.leaseMs,
        mine.map((p) => p.partition),
        mine.map((p) => p.epoch),
      ]);
      const renewed = new Set(rows.map((r) => r.partition));
      for (const p of mine) {
        if (!renewed.has(p.partition)) {
          p.lost = true;
          held.delete(p.partition);
          logger?.warn({ group, channel, partition: p.partition }, 'event consumer: lease lost');
        }
      }
    }
    if (state !== 'running') return;
    const keeping = [...held.values()].filter((p) => !p.releasing).length;
    if (keeping < fair) {
      const { rows } = await q.query<{
        partition: number;
        tick_id: unknown;
        seq: unknown;
        lease_epoch: unknown;
        blocked_seq: unknown;
        unclean: boolean;
      }>(sql.claim, [...base, memberId, o.leaseMs, fair - keeping]);
      for (const row of rows) {
        const attempts = await q.query<{
          seq: unknown;
          attempts: number;
          finished: number;
          next_attempt_at: Date | string | null;
          last_error: unknown;
        }>(sql.loadAttempts, [...base, row.partition]);
        const map = new Map<number, AttemptInfo>();
        for (const a of attempts.rows) {
          map.set(toNumber(a.seq), {
            attempts: a.attempts,
            finished: a.finished,
            nextAt: a.next_attempt_at === null ? 0 : new Date(a.next_attempt_at).getTime(),
            lastError: a.last_error,
          });
        }
        held.set(row.partition, {
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
          releasing: false,
          lost: false,
          attempts: map,
        });
        logger?.debug(
          { group, channel, partition: row.partition, unclean: row.unclean },
          'event consumer: partition claimed',
        );
      }
      if (rows.length > 0) wake();
    } else if (keeping > fair) {
      // Another member joined: hand partitions over after their batch in flight.
      const extra = [...held.values()].filter((p) => !p.releasing).slice(fair);
      for (const p of extra) p.releasing = true;
      wake();
    }
  }

  function runMaintenance(): Promise<void> {
    maintaining ??= maintain()
      .catch((err: unknown) => {
        logger?.warn({ err, group, channel }, 'event consumer: lease maintenance failed; retrying');
      })
      .finally(() => {
        maintaining = null;
      });
    return maintaining;
  }

  async function release(parts: PartitionState[]): Promise<void> {
    if (parts.length === 0) return;
    for (const p of parts) held.delete(p.partition);
    // Positions first: a lease must not be handed over before its last commit landed.
    await Promise.all(parts.map((p) => flush(p).catch(() => {})));
    await q.query(sql.release, [
      ...base,
      memberId,
      parts.map((p) => p.partition),
      parts.map((p) => p.epoch),
    ]);
  }

  // ---- delivery ----
  function logContextOf(event: StoredEvent): LogContext {
    const { correlationId, causationId } = event.metadata;
    return {
      eventId: event.id,
      consumer: group,
      ...(typeof correlationId === 'string' ? { correlationId } : {}),
      ...(typeof causationId === 'string' ? { causationId } : {}),
    };
  }

  function record(started: number, ok: boolean): void {
    const ms = performance.now() - started;
    if (ok) counters.handled++;
    else counters.failed++;
    counters.count++;
    counters.total += ms;
    if (ms > counters.max) counters.max = ms;
  }

  /**
   * Runs the handler in the event's log context. Returns a promise only when the handler did
   * (a synchronous handler costs no extra microtask per event).
   */
  function invoke(
    event: StoredEvent,
    ps: PartitionState,
    attempt: number,
    tx: Transaction<unknown> | undefined,
  ): Promise<void> | undefined {
    const context = { group, partition: ps.partition, attempt, tx } as TransactionalHandlerContext;
    const started = performance.now();
    let result: unknown;
    try {
      result = withLogContext(logContextOf(event), () => o.handler(event, context));
    } catch (error) {
      record(started, false);
      throw error;
    }
    if (typeof (result as PromiseLike<void> | undefined)?.then === 'function') {
      return Promise.resolve(result as PromiseLike<void>).then(
        () => record(started, true),
        (error: unknown) => {
          record(started, false);
          throw error;
        },
      );
    }
    record(started, true);
    return undefined;
  }

  function read(
    ex: Queryable,
    ps: PartitionState,
    limit: number,
    from: Position = ps.pos,
  ): Promise<EventPage> {
    return getEventsByChannel(ex, channel, {
      after: encodeCursor(from),
      limit,
      schema: o.schema,
      tick: false,
      partitions: o.partitions,
      partition: ps.partition,
      ...(o.types === null ? {} : { types: o.types }),
      ...(o.catalog === undefined ? {} : { catalog: o.catalog }),
    });
  }

  async function advance(
    ex: Queryable,
    ps: PartitionState,
    to: Position,
    clear: readonly number[],
    from: Position = ps.pos,
  ): Promise<void> {
    const params = [
      ...base,
      ps.partition,
      ps.epoch,
      memberId,
      to.tick,
      to.seq,
      o.leaseMs,
      from.tick,
      from.seq,
    ];
    const { rows } =
      clear.length === 0
        ? await ex.query<{ n: number }>(sql.advance, params)
        : await ex.query<{ n: number }>(sql.advanceAndClear, [...params, clear]);
    if (rows[0]?.n !== 1) throw new LeaseLostError(group, ps.partition);
  }

  /**
   * Waits for the position commit in flight (plain mode pipelines one: the next page is
   * handled while the previous position commits). Throws what that commit threw.
   */
  async function flush(ps: PartitionState): Promise<void> {
    const pending = ps.pending;
    ps.pending = null;
    const error = await pending;
    if (error !== null && error !== undefined) throw error;
  }

  function commitLocal(ps: PartitionState, to: Position, clear: readonly number[]): void {
    ps.pos = to;
    for (const seq of clear) ps.attempts.delete(seq);
  }

  async function lock(tx: Queryable, ps: PartitionState): Promise<void> {
    const { rows } = await tx.query<{ tick_id: unknown; seq: unknown }>(sql.lockPosition, [
      ...base,
      ps.partition,
      ps.epoch,
      memberId,
    ]);
    const row = rows[0];
    if (
      row === undefined ||
      toNumber(row.tick_id) !== ps.pos.tick ||
      toNumber(row.seq) !== ps.pos.seq
    ) {
      throw new LeaseLostError(group, ps.partition);
    }
  }

  /** Counts a start before the handler runs (guarded mode): a crash leaves started > finished. */
  async function recordStart(ps: PartitionState, event: StoredEvent): Promise<AttemptInfo> {
    const { rows } = await q.query<{ attempts: number; finished: number; last_error: unknown }>(
      sql.recordAttempt,
      [...base, ps.partition, ps.epoch, memberId, event.seq, 1, 0, 0, null],
    );
    const row = rows[0];
    if (row === undefined) throw new LeaseLostError(group, ps.partition);
    const info = {
      attempts: row.attempts,
      finished: row.finished,
      nextAt: 0,
      lastError: row.last_error,
    };
    ps.attempts.set(event.seq, info);
    return info;
  }

  /** Stores a failed attempt (fenced), after committing `progress` in plain mode. */
  async function recordFailure(
    ps: PartitionState,
    event: StoredEvent,
    error: unknown,
    progress: Position,
    clear: readonly number[],
    startCounted: boolean,
  ): Promise<void> {
    const before = ps.attempts.get(event.seq);
    const failures = (before?.finished ?? 0) + 1;
    const exhausted = (before?.attempts ?? 0) + (startCounted ? 0 : 1) >= o.maxAttempts;
    const delay = exhausted ? 0 : delayFor(o.backoff, failures, Math.random());
    const json = errorJson(error);
    const row = await db.transaction(async (tx) => {
      if (!samePos(progress, ps.pos)) await advance(tx, ps, progress, clear);
      const { rows } = await tx.query<{ attempts: number; finished: number }>(sql.recordAttempt, [
        ...base,
        ps.partition,
        ps.epoch,
        memberId,
        event.seq,
        startCounted ? 0 : 1,
        1,
        delay,
        json,
      ]);
      if (rows[0] === undefined) throw new LeaseLostError(group, ps.partition);
      return rows[0];
    });
    commitLocal(ps, progress, clear);
    ps.attempts.set(event.seq, {
      attempts: row.attempts,
      finished: row.finished,
      nextAt: Date.now() + delay,
      lastError: json,
    });
    ps.wakeAt = Date.now() + delay;
    logger?.warn(
      {
        err: error,
        group,
        channel,
        partition: ps.partition,
        eventId: event.id,
        attempt: row.attempts,
      },
      exhausted ? 'event handler failed for the last time' : 'event handler failed; will retry',
    );
  }

  /** The event at the head ran out of attempts: dead letter, then park (go on) or block. */
  async function exhaust(ps: PartitionState, event: StoredEvent, info: AttemptInfo): Promise<void> {
    const error =
      info.attempts > info.finished
        ? errorJson(new HandlerCrashedError(info.attempts, info.finished))
        : (info.lastError ?? { message: 'unknown error' });
    const to = positionOf(event);
    await db.transaction(async (tx) => {
      await lock(tx, ps);
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
      if (o.onFailure === 'park') await advance(tx, ps, to, []);
      else {
        await tx.query(sql.setBlocked, [...base, ps.partition, ps.epoch, memberId, event.seq]);
      }
    });
    ps.attempts.delete(event.seq);
    counters.deadLettered++;
    if (o.onFailure === 'park') ps.pos = to;
    else ps.blockedSeq = event.seq;
    logger?.error(
      {
        group,
        channel,
        partition: ps.partition,
        eventId: event.id,
        seq: event.seq,
        attempts: info.attempts,
      },
      o.onFailure === 'park'
        ? 'event moved to dead letters; partition continues'
        : 'event moved to dead letters; partition blocked until it is redriven or discarded',
    );
  }

  /**
   * What to do with `event` before running it: `run`, `wait` (backoff not over), or
   * `exhaust` (out of attempts: only at the head of the partition).
   */
  function gate(ps: PartitionState, event: StoredEvent): 'run' | 'wait' | 'exhaust' {
    const info = ps.attempts.get(event.seq);
    if (info === undefined) return 'run';
    if (info.attempts >= o.maxAttempts) return 'exhaust';
    if (info.nextAt > Date.now()) {
      ps.wakeAt = info.nextAt;
      return 'wait';
    }
    return 'run';
  }

  async function atHead(
    ps: PartitionState,
    event: StoredEvent,
    verdict: 'wait' | 'exhaust',
  ): Promise<boolean> {
    if (verdict === 'wait') return false;
    await exhaust(ps, event, ps.attempts.get(event.seq) as AttemptInfo);
    return true;
  }

  /** One batch of a plain consumer. Returns whether more work is likely waiting. */
  async function stepPlain(ps: PartitionState): Promise<boolean> {
    const guarded = ps.guardedRemaining > 0;
    const limit = guarded ? 1 : o.batchSize;
    if (guarded) await flush(ps);
    const prefetched = ps.prefetch;
    ps.prefetch = null;
    const page =
      prefetched !== null && samePos(prefetched.from, ps.pos) && !guarded
        ? await prefetched.page
        : await read(q, ps, limit);
    const { events } = page;
    if (!guarded && events.length === limit) {
      // A full page: more is likely waiting. Read it while this one is handled and committed
      // (used only if this step ends exactly at the page's end).
      const from = decodeCursor(page.nextCursor);
      const next = read(q, ps, limit, from);
      next.catch(() => {});
      ps.prefetch = { from, page: next };
    }
    // Position after the last handled event: decoded only when the batch stops early.
    const handledUpTo = (n: number): Position =>
      n === 0 ? ps.pos : positionOf(events[n - 1] as StoredEvent);
    const clear: number[] = [];
    const retrying = ps.attempts.size > 0;
    let i = 0;
    for (; i < events.length; i++) {
      const event = events[i] as StoredEvent;
      const verdict = retrying ? gate(ps, event) : 'run';
      if (verdict !== 'run') {
        if (i === 0) {
          await flush(ps);
          return atHead(ps, event, verdict);
        }
        break;
      }
      let info = retrying ? ps.attempts.get(event.seq) : undefined;
      if (guarded) info = await recordStart(ps, event);
      const attempt = guarded ? (info as AttemptInfo).attempts : (info?.attempts ?? 0) + 1;
      try {
        const running = invoke(event, ps, attempt, undefined);
        if (running !== undefined) await running;
      } catch (error) {
        await flush(ps);
        await recordFailure(ps, event, error, handledUpTo(i), clear, guarded);
        return true;
      }
      if (info !== undefined) clear.push(event.seq);
    }
    const to = i === events.length ? decodeCursor(page.nextCursor) : handledUpTo(i);
    if (!samePos(to, ps.pos)) {
      // One commit in flight at a time: each compare-and-set starts from the position the
      // previous one wrote. A failed commit surfaces at the next flush (lease lost).
      await flush(ps);
      const from = ps.pos;
      commitLocal(ps, to, clear);
      ps.pending = advance(q, ps, to, clear, from).then(
        () => null,
        (error: unknown) => error,
      );
    }
    if (guarded) ps.guardedRemaining = Math.max(0, ps.guardedRemaining - Math.max(1, i));
    return i < events.length || events.length === limit;
  }

  /** One batch of a transactional consumer: handler writes and position commit together. */
  async function stepTransactional(ps: PartitionState): Promise<boolean> {
    const guarded = ps.guardedRemaining > 0;
    if (guarded) {
      // The start must be counted outside the batch transaction, or a crash would erase it.
      const head = (await read(q, ps, 1)).events[0];
      if (head === undefined) {
        ps.guardedRemaining = 0;
        return true;
      }
      const verdict = gate(ps, head);
      if (verdict !== 'run') return atHead(ps, head, verdict);
      const info = await recordStart(ps, head);
      try {
        await db.transaction(async (tx) => {
          await lock(tx, ps);
          try {
            await invoke(head, ps, info.attempts, tx);
          } catch (error) {
            throw new BatchFailure(0, head, error);
          }
          await advance(tx, ps, positionOf(head), [head.seq]);
        });
      } catch (error) {
        if (!(error instanceof BatchFailure)) throw error;
        await recordFailure(ps, head, error.error, ps.pos, [], true);
        return true;
      }
      commitLocal(ps, positionOf(head), [head.seq]);
      ps.guardedRemaining--;
      return true;
    }
    const limit = ps.limitNext ?? o.batchSize;
    let headVerdict: { event: StoredEvent; verdict: 'wait' | 'exhaust' } | null = null;
    let result: { to: Position; clear: number[]; more: boolean } | null = null;
    try {
      result = await db.transaction(async (tx) => {
        await lock(tx, ps);
        const page = await read(tx, ps, limit);
        const { events } = page;
        let done = ps.pos;
        const clear: number[] = [];
        let i = 0;
        for (; i < events.length; i++) {
          const event = events[i] as StoredEvent;
          const verdict = gate(ps, event);
          if (verdict !== 'run') {
            if (i === 0) {
              headVerdict = { event, verdict };
              return null;
            }
            break;
          }
          const info = ps.attempts.get(event.seq);
          try {
            await invoke(event, ps, (info?.attempts ?? 0) + 1, tx);
          } catch (error) {
            throw new BatchFailure(i, event, error);
          }
          if (info !== undefined) clear.push(event.seq);
          done = positionOf(event);
        }
        const to = i === events.length ? decodeCursor(page.nextCursor) : done;
        if (!samePos(to, ps.pos)) await advance(tx, ps, to, clear);
        return { to, clear, more: i < events.length || events.length === limit };
      });
    } catch (error) {
      if (!(error instanceof BatchFailure)) throw error;
      // Everything before the failing event was rolled back with it: redo that prefix as a
      // batch of its own, then the failing event at the head after its backoff.
      ps.limitNext = error.index > 0 ? error.index : null;
      await recordFailure(ps, error.event, error.error, ps.pos, [], false);
      return true;
    }
    ps.limitNext = null;
    const head = headVerdict as { event: StoredEvent; verdict: 'wait' | 'exhaust' } | null;
    if (head !== null) return atHead(ps, head.event, head.verdict);
    if (result === null) return false;
    commitLocal(ps, result.to, result.clear);
    return result.more;
  }

  function step(ps: PartitionState): Promise<boolean> {
    return guard(ps, () => (o.mode === 'transactional' ? stepTransactional(ps) : stepPlain(ps)));
  }

  function settle(ps: PartitionState): Promise<boolean> {
    return guard(ps, async () => {
      await flush(ps);
      return false;
    });
  }

  async function guard(ps: PartitionState, work: () => Promise<boolean>): Promise<boolean> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof LeaseLostError) {
        ps.lost = true;
        held.delete(ps.partition);
        logger?.warn(
          { group, channel, partition: ps.partition },
          'event consumer: lease lost; work since the last commit is redone by the new owner',
        );
        return false;
      }
      ps.wakeAt = Date.now() + o.pollIntervalMs;
      logger?.error(
        { err: error, group, channel, partition: ps.partition },
        'event consumer: batch failed; retrying',
      );
      return false;
    }
  }

  // ---- redrives and blocked partitions (checked every few polls) ----
  async function adminWork(): Promise<void> {
    for (const ps of held.values()) {
      if (ps.blockedSeq === null || ps.lost) continue;
      const { rows } = await q.query<{ id: unknown; status: string; tick_id: unknown }>(
        sql.blockedLetter,
        [...base, ps.partition, ps.blockedSeq],
      );
      const letter = rows[0];
      if (letter === undefined || letter.status === 'dead') continue;
      const discard = letter.status === 'discarded';
      const to = discard ? { tick: toNumber(letter.tick_id), seq: ps.blockedSeq } : null;
      await db.transaction(async (tx) => {
        const r = await tx.query(sql.unblock, [
          ...base,
          ps.partition,
          ps.epoch,
          memberId,
          ps.blockedSeq,
          to?.tick ?? null,
          to?.seq ?? null,
        ]);
        if (r.rowCount !== 1) throw new LeaseLostError(group, ps.partition);
        if (!discard) await tx.query(sql.settleDeadLetter, [letter.id, 'redriven', 0, null]);
      });
      ps.attempts.delete(ps.blockedSeq);
      ps.blockedSeq = null;
      if (to !== null) ps.pos = to;
      ps.wakeAt = 0;
    }
    const parts = [...held.values()].filter((p) => !p.lost).map((p) => p.partition);
    if (parts.length === 0) return;
    const { rows } = await q.query<
      EventRow & { dl_id: unknown; partition: number; attempts: number; tick_id: unknown }
    >(sql.redriving, [...base, parts]);
    for (const row of rows) {
      const ps = held.get(row.partition);
      if (ps === undefined || state !== 'running') break;
      const event = eventFromRow(row, toNumber(row.tick_id ?? 0));
      const attempt = row.attempts + 1;
      try {
        if (o.mode === 'transactional') {
          await db.transaction(async (tx) => {
            await invoke(event, ps, attempt, tx);
            await tx.query(sql.settleDeadLetter, [row.dl_id, 'redriven', attempt, null]);
          });
        } else {
          await invoke(event, ps, attempt, undefined);
          await q.query(sql.settleDeadLetter, [row.dl_id, 'redriven', attempt, null]);
        }
      } catch (error) {
        await q.query(sql.settleDeadLetter, [row.dl_id, 'dead', attempt, errorJson(error)]);
        logger?.warn(
          { err: error, group, channel, eventId: event.id },
          'redriven event failed again; still a dead letter',
        );
      }
    }
  }

  // ---- main loop ----
  async function run(): Promise<void> {
    let idle = true;
    const adminEvery = Math.min(o.leaseMs / 3, Math.max(50, o.pollIntervalMs * 2));
    const selfTick = (): boolean => o.ticker === undefined || !o.ticker.running;
    while (state === 'running') {
      try {
        if (idle && selfTick()) await q.query(tickSql(o.schema));
        if (Date.now() >= nextAdmin) {
          nextAdmin = Date.now() + adminEvery;
          await adminWork();
        }
        const now = Date.now();
        const ready = [...held.values()].filter(
          (p) => !p.lost && !p.releasing && p.blockedSeq === null && p.wakeAt <= now,
        );
        const results = await Promise.all(ready.map(step));
        // Before sleeping, make every position durable and notice lost leases now.
        if (!results.some(Boolean)) await Promise.all([...held.values()].map(settle));
        const releasing = [...held.values()].filter((p) => p.releasing);
        if (releasing.length > 0) await release(releasing);
        idle = !results.some(Boolean);
      } catch (err) {
        logger?.error({ err, group, channel }, 'event consumer: poll failed; retrying');
        idle = true;
      }
      if (idle && state === 'running') {
        let delay = Math.min(o.pollIntervalMs, nextAdmin - Date.now());
        for (const p of held.values()) {
          if (p.wakeAt > Date.now() && p.blockedSeq === null)
            delay = Math.min(delay, p.wakeAt - Date.now());
        }
        await waitForWake(delay);
      }
    }
  }

  const consumer: Consumer = {
    group,
    channel,
    memberId,
    async start() {
      if (state !== 'new') {
        throw new ConsumerStateError(
          `Consumer "${group}" on "${channel}" was already started${state === 'stopped' ? ' and stopped' : ''}: create a new one with subscribe().`,
        );
      }
      state = 'running';
      let joined = false;
      try {
        const changed = await ensureGroup();
        joined = true;
        if (changed !== null) {
          logger?.warn(
            { group, channel, memberId, from: changed.from, to: changed.to },
            `event consumer: group types changed from ${typesText(changed.from)} to ${typesText(changed.to)} (no other member was alive); they apply from the group's current positions on`,
          );
        }
        const hub = wakeHub(db, o.schema, logger);
        removeWake = await hub.add(wake, o.listen);
        hubListening = () => o.listen && hub.listening;
        removeTick = o.ticker?.onTick(wake) ?? null;
        await runMaintenance();
      } catch (error) {
        state = 'stopped';
        await removeWake?.();
        removeTick?.();
        // Registered by ensureGroup: leave, so this failed start does not count as alive.
        if (joined) await q.query(sql.leaveGroup, [...base, memberId]).catch(() => {});
        throw error;
      }
      maintenanceTimer = setInterval(
        () => void runMaintenance(),
        Math.max(50, Math.floor(o.leaseMs / 3)),
      );
      maintenanceTimer.unref();
      unregister = registerConsumer(db, o.schema, consumer);
      loop = run();
    },
    async stop() {
      if (state === 'new') {
        state = 'stopped';
        return;
      }
      if (state !== 'running') {
        await stopped;
        return;
      }
      state = 'stopping';
      stopped = (async () => {
        if (maintenanceTimer !== null) clearInterval(maintenanceTimer);
        wake();
        await loop;
        await maintaining;
        try {
          await release([...held.values()]);
          await q.query(sql.leaveGroup, [...base, memberId]);
        } catch (err) {
          logger?.warn(
            { err, group, channel },
            'event consumer: releasing leases failed; they expire after leaseMs',
          );
        }
        held.clear();
        removeTick?.();
        await removeWake?.();
        unregister?.();
        state = 'stopped';
      })();
      await stopped;
    },
    stats() {
      return {
        group,
        channel,
        memberId,
        running: state === 'running',
        listening: hubListening(),
        handled: counters.handled,
        failed: counters.failed,
        deadLettered: counters.deadLettered,
        handlerMs: {
          count: counters.count,
          total: counters.total,
          max: counters.max,
          mean: counters.count === 0 ? 0 : counters.total / counters.count,
        },
        partitions: [...held.values()]
          .sort((a, b) => a.partition - b.partition)
          .map((p) => ({
            partition: p.partition,
            epoch: p.epoch,
            position: encodeCursor(p.pos),
            blockedSeq: p.blockedSeq,
            guardedRemaining: p.guardedRemaining,
          })),
      };
    },
    get running() {
      return state === 'running';
    },
  };
  let stopped: Promise<void> = Promise.resolve();
  let unregister: (() => void) | null = null;
  return consumer;
}
