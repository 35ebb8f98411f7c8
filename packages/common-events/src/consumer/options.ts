import type { Transaction } from '@vsa/common-db';
import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import type { EventCatalog } from '../catalog/define-catalog.js';
import type { StoredEvent } from '../envelope.js';
import { InvalidArgumentError } from '../errors.js';
import type { EventBusLogger } from '../logger.js';
import { decodeCursor } from '../read/cursor.js';
import { DEFAULT_SCHEMA, validateSchemaName } from '../schema-name.js';
import type { Ticker } from '../ticker/ticker.js';
import { type BackoffPolicy, type ResolvedBackoff, resolveBackoff } from './backoff.js';

/**
 * Where a new group starts. Only used when the group is created; an existing group resumes
 * from its stored positions (use `resetGroup` to move it).
 * - `'beginning'`: every stored event of the channel.
 * - `'now'`: only events of ticks after the latest one (nothing already in the log).
 * - `{ position }`: after a cursor (`event.position` or a page's `nextCursor`).
 * - `{ time }`: events whose tick (commit time, within one tick interval) is at or after `time`.
 */
export type StartFrom =
  | 'beginning'
  | 'now'
  | { readonly position: string }
  | { readonly time: Date };

/** What a group does with an event whose handler failed `maxAttempts` times. */
export type FailurePolicy = 'park' | 'block';

/** What a handler gets besides the event. */
export interface HandlerContext {
  readonly group: string;
  readonly partition: number;
  /**
   * 1 on the first delivery, then counts the earlier failures and crashes of this event in
   * this group. A redrive starts the count again: the first delivery after a redrive is
   * attempt 1, in `park` and in `block` partitions alike.
   */
  readonly attempt: number;
}

/** Context of a transactional handler: `tx` commits together with the group's position. */
export interface TransactionalHandlerContext<Client = unknown> extends HandlerContext {
  /** The transaction of this batch. Do not commit or roll it back yourself: throw to roll back. */
  readonly tx: Transaction<Client>;
}

/** Options every consumer takes. */
export interface SubscribeOptionsBase {
  /** Consumer group name: its position is independent of every other group's. */
  readonly group: string;
  readonly channel: string;
  /** Deliver only these types; the position still moves past the others. */
  readonly types?: readonly string[];
  /** Events per read and per position commit, 1..10,000 (default 100). */
  readonly batchSize?: number;
  /**
   * Split the channel into N partitions by `key_hash % N` (default 1). Events of one key stay
   * in one partition, in commit order; partitions are leased to the group's processes.
   */
  readonly partitions?: number;
  /** Deliveries per event before `onFailure` applies (default 5). */
  readonly maxAttempts?: number;
  /** Delays between attempts: exponential with jitter. */
  readonly backoff?: BackoffPolicy;
  /**
   * `'park'` (default): after `maxAttempts`, store a dead letter and go on with the next event.
   * `'block'`: store a dead letter and pause the partition at the event (strict order) until it
   * is redriven or discarded.
   */
  readonly onFailure?: FailurePolicy;
  /** Where a new group starts (default `'beginning'`). */
  readonly startFrom?: StartFrom;
  /**
   * Lease of a partition in ms (default 30,000), renewed every `leaseMs / 3`. The backstop of
   * membership: a member that stopped heartbeating loses its partitions after
   * `memberTimeoutMs` already; the lease bounds how long a partition stays with a member
   * whose heartbeat still runs but whose lease renewal does not.
   */
  readonly leaseMs?: number;
  /**
   * How often this member writes its heartbeat, in ms (default 1,000). The heartbeat runs on
   * the event loop: a handler that blocks the loop longer than `memberTimeoutMs` makes the
   * member look dead (its partitions move; fencing keeps that safe, but work is redone).
   */
  readonly heartbeatMs?: number;
  /**
   * A member whose last heartbeat is older than this (ms) is dead: the live members take its
   * partitions at their next heartbeat (default `3 * heartbeatMs`; must exceed `heartbeatMs`).
   */
  readonly memberTimeoutMs?: number;
  /**
   * Polling backstop in ms (default 500, or the bus's `consumers` default; `undefined` keeps
   * the default). With `listen: false` this is the delivery delay.
   */
  readonly pollIntervalMs?: number | undefined;
  /**
   * Wake up on the tick NOTIFY (default `true`). `false` polls only (PgBouncer in transaction
   * mode). When LISTEN fails the consumer falls back to polling by itself. `undefined` keeps
   * the default (on a bus, its `consumers.listen`).
   */
  readonly listen?: boolean | undefined;
  /**
   * This member's identity in the group's leases (default `<hostname>:<pid>:<random>`, new for
   * every process). Set it to a name that is stable across restarts and unique among the live
   * processes of the group (a StatefulSet pod name, an instance number, `HOSTNAME` of a
   * container restarted in place): a process that starts with the `memberId` of a member
   * that died takes that member's partitions back at once, without waiting for
   * `memberTimeoutMs`. It bumps their lease epoch, so a late write of the old process (if it
   * still runs) is fenced out with `LeaseLostError`. Two live processes with one `memberId`
   * are a misconfiguration: the later one takes the partitions, and they count as one member.
   */
  readonly memberId?: string;
  /** Postgres schema of the bus (default `vsa_events`). */
  readonly schema?: string;
  /** Upcast older event versions with this catalog. */
  readonly catalog?: EventCatalog;
  /** The in-process ticker: its ticks wake the consumer without a NOTIFY round trip. */
  readonly ticker?: Ticker;
  readonly logger?: EventBusLogger;
}

/** A consumer whose handler runs outside any transaction: the position advances after it returns. */
export interface PlainSubscribeOptions extends SubscribeOptionsBase {
  readonly mode?: 'plain';
  readonly handler: (event: StoredEvent, context: HandlerContext) => Promise<void> | void;
}

/**
 * A consumer whose handler writes in the batch's transaction: its writes and the position
 * advance commit together (exactly-once effects inside the database).
 */
export interface TransactionalSubscribeOptions<Client = unknown> extends SubscribeOptionsBase {
  readonly mode: 'transactional';
  readonly handler: (
    event: StoredEvent,
    context: TransactionalHandlerContext<Client>,
  ) => Promise<void>;
}

/** Options of `subscribe`; `Client` is the database client a transactional handler's `tx` carries. */
export type SubscribeOptions<Client = unknown> =
  | PlainSubscribeOptions
  | TransactionalSubscribeOptions<Client>;

/** Validated options with defaults applied. @internal */
export interface ResolvedSubscribeOptions {
  readonly group: string;
  readonly channel: string;
  readonly types: readonly string[] | null;
  readonly mode: 'plain' | 'transactional';
  readonly handler: (
    event: StoredEvent,
    context: TransactionalHandlerContext,
  ) => Promise<void> | void;
  readonly batchSize: number;
  readonly partitions: number;
  readonly maxAttempts: number;
  readonly backoff: ResolvedBackoff;
  readonly onFailure: FailurePolicy;
  readonly startFrom: StartFrom;
  readonly leaseMs: number;
  readonly heartbeatMs: number;
  readonly memberTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly listen: boolean;
  readonly memberId: string | undefined;
  readonly schema: string;
  readonly catalog: EventCatalog | undefined;
  readonly ticker: Ticker | undefined;
  readonly logger: EventBusLogger | undefined;
}

const NAME = /^[\w.:@/-]{1,200}$/;

/**
 * Checks a group, channel or member name: 1-200 characters of letters, digits, `_ . : @ / -`
 * (what `subscribe` accepts, so an admin filter outside it could never match). Throws
 * `VSA_EVENTS_INVALID_ARGUMENT` naming `what`. @internal
 */
export function validateName(what: string, value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidArgumentError(
      `${what} must be 1-200 characters of letters, digits, _ . : @ / -, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Checks an optional logger: pino-compatible, with `debug`, `info`, `warn` and `error`. `what`
 * names it in the error (`subscribe`'s `logger`, `createEventBus: logger`). @internal
 */
export function validateLogger(value: unknown, what = 'logger'): EventBusLogger | undefined {
  if (value === undefined) return undefined;
  const missing =
    typeof value === 'object' && value !== null
      ? LOGGER_METHODS.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function')
      : LOGGER_METHODS;
  if (missing.length > 0) {
    throw new InvalidArgumentError(
      `${what} must be a pino-compatible logger with debug, info, warn and error functions; missing ${missing.join(', ')}.`,
    );
  }
  return value as EventBusLogger;
}

function validateTicker(value: unknown): Ticker | undefined {
  if (value === undefined) return undefined;
  const t = value as Partial<Record<keyof Ticker, unknown>> | null;
  if (
    typeof t !== 'object' ||
    t === null ||
    typeof t.onTick !== 'function' ||
    typeof t.running !== 'boolean'
  ) {
    throw new InvalidArgumentError(
      'ticker must be a Ticker from createTicker() or bus.ticker (with onTick() and running).',
    );
  }
  return value as Ticker;
}

function validateCatalog(value: unknown): EventCatalog | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as { upcast?: unknown }).upcast !== 'function'
  ) {
    throw new InvalidArgumentError(
      'catalog must come from defineCatalog([...]) (an object with an upcast function).',
    );
  }
  return value as EventCatalog;
}

/** Checks a {@link StartFrom}; throws `VSA_EVENTS_INVALID_ARGUMENT` / `VSA_EVENTS_INVALID_CURSOR`. */
export function validateStartFrom(value: unknown, what = 'startFrom'): StartFrom {
  if (value === 'beginning' || value === 'now') return value;
  if (typeof value === 'object' && value !== null) {
    if ('position' in value) {
      decodeCursor((value as { position: string }).position);
      return value as { position: string };
    }
    if ('time' in value) {
      const time = (value as { time: unknown }).time;
      if (time instanceof Date && !Number.isNaN(time.getTime())) return { time };
    }
  }
  throw new InvalidArgumentError(
    `${what} must be 'beginning', 'now', { position: cursor } or { time: Date }, got ${JSON.stringify(value)}.`,
  );
}

const name = (what: string) =>
  z.string().regex(NAME, `${what} must be 1-200 characters of letters, digits, _ . : @ / -`);
const intIn = (min: number, max: number, fallback: number) =>
  z.int().min(min).max(max).default(fallback);
/** A value checked by one of this module's validators (they name what is wrong). */
const checked = <T>(check: (value: unknown) => T) =>
  z
    .unknown()
    .optional()
    .transform((v) => check(v));

/** `subscribe`'s options: parsed once at its entry; unknown keys are refused. */
const subscribeOptionsSchema = z
  .strictObject({
    group: name('group'),
    channel: name('channel'),
    types: z
      .array(z.string().min(1))
      .min(1, 'types must be a non-empty array of event type names')
      .optional()
      .transform((t) => (t === undefined ? null : [...t])),
    mode: z.enum(['plain', 'transactional']).default('plain'),
    handler: z.custom<ResolvedSubscribeOptions['handler']>(
      (v) => typeof v === 'function',
      'handler must be a function (event, context) => Promise<void>',
    ),
    batchSize: intIn(1, 10_000, 100),
    partitions: intIn(1, 32_767, 1),
    maxAttempts: intIn(1, 1_000, 5),
    backoff: checked((v) => resolveBackoff(v as BackoffPolicy | undefined)),
    onFailure: z.enum(['park', 'block']).default('park'),
    startFrom: checked((v) => validateStartFrom(v ?? 'beginning')),
    leaseMs: intIn(200, 3_600_000, 30_000),
    heartbeatMs: intIn(20, 600_000, 1_000),
    memberTimeoutMs: z.int().min(40).max(3_600_000).optional(),
    pollIntervalMs: intIn(1, 600_000, 500),
    listen: z.boolean().default(true),
    memberId: name('memberId').optional(),
    schema: checked((v) => validateSchemaName((v as string | undefined) ?? DEFAULT_SCHEMA)),
    catalog: checked(validateCatalog),
    ticker: checked(validateTicker),
    logger: checked((v) => validateLogger(v)),
  })
  .superRefine((o, ctx) => {
    if (o.memberTimeoutMs !== undefined && o.memberTimeoutMs <= o.heartbeatMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['memberTimeoutMs'],
        message: `memberTimeoutMs must exceed heartbeatMs (${o.heartbeatMs}), or a live member would look dead between two heartbeats`,
      });
    }
  });

/**
 * Parses `subscribe` options once (unknown keys refused, naming the accepted ones) and fills
 * in defaults; the result flows inward unchecked.
 */
export function resolveSubscribeOptions(options: SubscribeOptions): ResolvedSubscribeOptions {
  const parsed = parseOptions(subscribeOptionsSchema, options, {
    where: 'subscribe(db, options)',
    code: 'VSA_EVENTS_INVALID_ARGUMENT',
  });
  // An absent memberId stays a present key holding undefined (exactOptionalPropertyTypes).
  return {
    ...parsed,
    memberId: parsed.memberId,
    memberTimeoutMs: parsed.memberTimeoutMs ?? 3 * parsed.heartbeatMs,
  };
}

/** Options of `bus.subscribe`: the bus fills in `schema`, `catalog`, `ticker` (and `logger`). */
export type BusSubscribeOptions<Client = unknown> =
  | Omit<PlainSubscribeOptions, 'schema' | 'catalog' | 'ticker'>
  | Omit<TransactionalSubscribeOptions<Client>, 'schema' | 'catalog' | 'ticker'>;
