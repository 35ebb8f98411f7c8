import type { Database } from '@vsa/common-db';
import type { Queryable } from '../../executor.js';
import type { Position } from '../../read/cursor.js';
import type { EventPage } from '../../read/get-events-by-channel.js';
import type { ConsumerSql } from '../consumer-sql.js';
import type { ResolvedSubscribeOptions } from '../options.js';

/** Attempts of one event of a partition, as stored in `consumer_attempts`. @internal */
export interface AttemptInfo {
  attempts: number;
  finished: number;
  nextAt: number;
  lastError: unknown;
}

/** The position commit in flight of a plain partition. @internal */
export interface PendingCommit {
  /** Position the commit starts from (durable when it was sent). */
  readonly from: Position;
  /** Attempt rows the commit deletes, restored locally when it fails. */
  readonly cleared: ReadonlyMap<number, AttemptInfo>;
  /** Resolves with the commit's error, or null once it is durable. */
  readonly done: Promise<unknown>;
}

/** One partition this member holds a lease on. @internal */
export interface PartitionState {
  readonly partition: number;
  readonly epoch: number;
  /** Position delivery continues from (ahead of the durable one while a commit is in flight). */
  pos: Position;
  blockedSeq: number | null;
  /** > 0 after an unclean takeover: events handled one by one with a started counter. */
  guardedRemaining: number;
  /** Transactional mode: handle only this many events next (the prefix before a failure). */
  limitNext: number | null;
  wakeAt: number;
  /** Plain mode: the next page, read while the current one is handled and committed. */
  prefetch: { readonly from: Position; readonly page: Promise<EventPage> } | null;
  /** Plain mode: the position commit in flight. */
  pending: PendingCommit | null;
  /**
   * Plain mode: a position commit failed without losing the lease, so whether it landed is
   * unknown; the stored position is read back before the next batch.
   */
  resync: boolean;
  releasing: boolean;
  lost: boolean;
  readonly attempts: Map<number, AttemptInfo>;
}

/** Handler counters of one consumer. @internal */
export interface HandlerCounters {
  handled: number;
  failed: number;
  deadLettered: number;
  count: number;
  total: number;
  max: number;
}

/** The wake-up signal of the run loop. @internal */
export interface WakeSignal {
  /** A wake-up arrived while the loop was busy: the next wait returns at once. */
  woken: boolean;
  /** Resolves the wait in progress. */
  waiter: (() => void) | null;
  /** A wake-up since the last pass said nothing about partitions: every one may have events. */
  all: boolean;
  /** Partitions the wake-ups since the last pass named (their tick holds their keys). */
  readonly partitions: Set<number>;
}

/** Lifecycle of a consumer. @internal */
export type ConsumerPhase = 'new' | 'running' | 'stopping' | 'stopped';

/**
 * Everything one consumer knows, in one object the runtime modules take: what it was
 * configured with (`db`, `options`, `sql`, `memberId`), the partitions it `held`, its `phase`,
 * its `counters`, its `wake` signal and when the next dead-letter check is due. @internal
 */
export interface ConsumerRuntime {
  readonly db: Database<unknown>;
  readonly q: Queryable;
  readonly options: ResolvedSubscribeOptions;
  readonly sql: ConsumerSql;
  readonly memberId: string;
  /** `[group, channel]`: the first two parameters of every consumer statement. */
  readonly base: readonly [string, string];
  readonly held: Map<number, PartitionState>;
  phase: ConsumerPhase;
  readonly counters: HandlerCounters;
  readonly wake: WakeSignal;
  /** Held partitions whose last step found nothing and no wake-up named since: skipped. */
  readonly idle: Set<number>;
  /** Lease maintenance in flight, joined by overlapping timer ticks. */
  maintaining: Promise<void> | null;
  /** When the run loop next checks redrives and blocked partitions (ms since epoch). */
  nextAdminAt: number;
  /** When maintenance next renews the leases held (ms since epoch); heartbeats are more often. */
  nextRenewAt: number;
  /**
   * Whether the leases still naming this member id (an earlier process of this member that
   * died) were taken back; done once, in the first maintenance round after start.
   */
  reclaimed: boolean;
  /**
   * From when (ms since epoch) this member may judge others dead by their heartbeats. After
   * its own maintenance failed (the database was unreachable for everyone, say) it waits
   * `memberTimeoutMs` past its first good heartbeat, so the others can heartbeat again
   * before their partitions are taken. `Infinity` while maintenance is failing.
   */
  judgeFrom: number;
  /**
   * The backend pid of this process's LISTEN connection (null: none), written with every
   * heartbeat: when the process dies its session ends, and the others take its partitions
   * at once instead of after `memberTimeoutMs`.
   */
  sessionPid: number | null;
}

/** A new runtime in phase `new`. @internal */
export function createRuntime(init: {
  readonly db: Database<unknown>;
  readonly options: ResolvedSubscribeOptions;
  readonly sql: ConsumerSql;
  readonly memberId: string;
}): ConsumerRuntime {
  return {
    ...init,
    q: init.db,
    base: [init.options.group, init.options.channel],
    held: new Map(),
    phase: 'new',
    counters: { handled: 0, failed: 0, deadLettered: 0, count: 0, total: 0, max: 0 },
    wake: { woken: false, waiter: null, all: true, partitions: new Set() },
    idle: new Set(),
    maintaining: null,
    nextAdminAt: 0,
    nextRenewAt: 0,
    reclaimed: false,
    judgeFrom: 0,
    sessionPid: null,
  };
}

/** Whether two positions are the same. @internal */
export const samePos = (a: Position, b: Position): boolean => a.tick === b.tick && a.seq === b.seq;
