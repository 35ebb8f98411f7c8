import type { Tracer } from '@opentelemetry/api';
import type { Transaction } from '@vsa/common-db';
import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import type { EventCatalog } from '../catalog/define-catalog.js';
import type { StoredEvent } from '../envelope.js';
import type { EventBusLogger } from '../logger.js';
import { type EventBusMetrics, metricsOption } from '../observability/metrics.js';
import { defaultTracer, tracerOption } from '../observability/tracing.js';
import {
  at,
  catalogOption,
  intOption,
  loggerOption,
  nameOption,
  schemaOption,
} from '../option-schemas.js';
import { decodeCursor } from '../read/cursor.js';
import type { Ticker } from '../ticker/ticker.js';
import { type BackoffPolicy, backoffOption, type ResolvedBackoff } from './backoff.js';

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
  /** Where to report handled, failed, retried and dead-lettered events (see `EventBusMetrics`). */
  readonly metrics?: EventBusMetrics;
  /** Tracer of the delivery spans (default: the global provider's `@vsa/common-events` tracer). */
  readonly tracer?: Tracer;
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
  readonly metrics: EventBusMetrics | undefined;
  readonly tracer: Tracer;
}

function isStartFrom(value: unknown): value is StartFrom {
  if (value === 'beginning' || value === 'now') return true;
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const { position, time } = value as { position?: unknown; time?: unknown };
  if (keys[0] === 'position') return typeof position === 'string';
  return keys[0] === 'time' && time instanceof Date && !Number.isNaN(time.getTime());
}

/**
 * `startFrom` / `resetGroup`'s `to`: a {@link StartFrom}. A position's cursor is decoded by
 * {@link checkStartCursor} right after parsing, so a malformed one keeps its own code. @internal
 */
export const startFromOption: z.ZodType<StartFrom, StartFrom> = z.custom<StartFrom>(
  isStartFrom,
  "must be 'beginning', 'now', { position: cursor } or { time: Date }",
);

/**
 * Refuses a `{ position }` whose cursor this package did not produce, with
 * `VSA_EVENTS_INVALID_CURSOR` (a client's input, HTTP 400, when an API passes it on). @internal
 */
export function checkStartCursor(startFrom: StartFrom): StartFrom {
  if (typeof startFrom === 'object' && 'position' in startFrom) decodeCursor(startFrom.position);
  return startFrom;
}

/** `ticker`: from `createTicker()` or `bus.ticker`. @internal */
export const tickerOption: z.ZodType<Ticker, Ticker> = z.custom<Ticker>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { onTick?: unknown }).onTick === 'function' &&
    typeof (v as { running?: unknown }).running === 'boolean',
  'must be a Ticker from createTicker() or bus.ticker (with onTick() and running)',
);

/** The options a bus gives every subscription unless the subscription gives its own. @internal */
export interface ConsumerDefaults {
  readonly listen: boolean;
  readonly pollIntervalMs: number;
}

const pollIntervalOption = intOption(1, 600_000);

/** `createEventBus({ consumers })`: the subscription defaults, filled in. @internal */
export const consumerDefaultsSchema: z.ZodType<
  ConsumerDefaults,
  Pick<SubscribeOptions, 'listen' | 'pollIntervalMs'> | undefined
> = z
  .strictObject({
    listen: z.boolean('must be true or false').default(true),
    pollIntervalMs: pollIntervalOption.default(500),
  })
  .prefault({});

/** The options of `subscribe` a bus does not fill in, with `defaults` for listen and polling. */
function subscriptionShape(defaults: ConsumerDefaults) {
  return {
    group: nameOption,
    channel: nameOption,
    types: z
      .array(
        z.string('must be an event type name').min(1, 'must be an event type name'),
        'must be a non-empty array of event type names',
      )
      .min(1, 'must be a non-empty array of event type names')
      .optional()
      .transform((t) => (t === undefined ? null : [...t])),
    mode: z.enum(['plain', 'transactional'], "must be 'plain' or 'transactional'").default('plain'),
    handler: z.custom<ResolvedSubscribeOptions['handler']>(
      (v) => typeof v === 'function',
      'must be a function (event, context) => Promise<void>',
    ),
    batchSize: intOption(1, 10_000).default(100),
    partitions: intOption(1, 32_767).default(1),
    maxAttempts: intOption(1, 1_000).default(5),
    backoff: backoffOption,
    onFailure: z.enum(['park', 'block'], "must be 'park' or 'block'").default('park'),
    startFrom: startFromOption.default('beginning'),
    leaseMs: intOption(200, 3_600_000).default(30_000),
    heartbeatMs: intOption(20, 600_000).default(1_000),
    memberTimeoutMs: intOption(40, 3_600_000).optional(),
    pollIntervalMs: pollIntervalOption.default(defaults.pollIntervalMs),
    listen: z.boolean('must be true or false').default(defaults.listen),
    memberId: nameOption.optional(),
    logger: loggerOption,
    metrics: metricsOption,
    tracer: tracerOption,
  };
}

/** A strict object of `shape` that refuses a member timeout a live member could exceed. */
function withMemberTimeoutCheck<S extends ReturnType<typeof subscriptionShape>>(shape: S) {
  return z.strictObject(shape).superRefine((o, ctx) => {
    const { heartbeatMs, memberTimeoutMs } = o as { heartbeatMs: number; memberTimeoutMs?: number };
    if (memberTimeoutMs !== undefined && memberTimeoutMs <= heartbeatMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['memberTimeoutMs'],
        message: `memberTimeoutMs must exceed heartbeatMs (${heartbeatMs}), or a live member would look dead between two heartbeats`,
      });
    }
  });
}

const STANDALONE_DEFAULTS: ConsumerDefaults = { listen: true, pollIntervalMs: 500 };

/** `subscribe`'s options: parsed once at its entry; unknown keys are refused. */
const subscribeOptionsSchema = withMemberTimeoutCheck({
  ...subscriptionShape(STANDALONE_DEFAULTS),
  schema: schemaOption,
  catalog: catalogOption.optional(),
  ticker: tickerOption.optional(),
});

/** Fills in the optional keys that came back absent (exactOptionalPropertyTypes). */
type Completed =
  | 'memberId'
  | 'memberTimeoutMs'
  | 'catalog'
  | 'ticker'
  | 'logger'
  | 'metrics'
  | 'tracer';
function complete(
  parsed: Omit<ResolvedSubscribeOptions, Completed> & {
    readonly [K in Completed]?: ResolvedSubscribeOptions[K] | undefined;
  },
): ResolvedSubscribeOptions {
  return {
    ...parsed,
    memberId: parsed.memberId,
    // Three heartbeats: one lost heartbeat does not make a live member look dead.
    memberTimeoutMs: parsed.memberTimeoutMs ?? 3 * parsed.heartbeatMs,
    catalog: parsed.catalog,
    ticker: parsed.ticker,
    logger: parsed.logger,
    metrics: parsed.metrics,
    tracer: parsed.tracer ?? defaultTracer(),
  };
}

/**
 * Parses `subscribe` options once (unknown keys refused, naming the accepted ones) and fills
 * in defaults; the result flows inward unchecked.
 */
export function resolveSubscribeOptions(options: SubscribeOptions): ResolvedSubscribeOptions {
  const parsed = parseOptions(subscribeOptionsSchema, options, at('subscribe(db, options)'));
  checkStartCursor(parsed.startFrom);
  return complete(parsed);
}

/** What a bus fills in for its subscriptions. @internal */
export interface BusSubscriptionContext {
  readonly schema: string;
  readonly catalog: EventCatalog;
  readonly ticker: Ticker;
  readonly logger: EventBusLogger | undefined;
  readonly metrics: EventBusMetrics | undefined;
  readonly tracer: Tracer;
  readonly defaults: ConsumerDefaults;
}

/**
 * A parser of `bus.consumers.subscribe` options, built once per bus: the bus's schema,
 * catalog and ticker, its logger and `consumers` defaults unless a subscription gives its own.
 * @internal
 */
export function busSubscribeParser(
  context: BusSubscriptionContext,
): (options: BusSubscribeOptions<unknown>) => ResolvedSubscribeOptions {
  const schema = withMemberTimeoutCheck(subscriptionShape(context.defaults));
  const where = at('bus.consumers.subscribe(options)');
  return (options) => {
    const parsed = parseOptions(schema, options, where);
    checkStartCursor(parsed.startFrom);
    return complete({
      ...parsed,
      schema: context.schema,
      catalog: context.catalog,
      ticker: context.ticker,
      logger: parsed.logger ?? context.logger,
      metrics: parsed.metrics ?? context.metrics,
      tracer: parsed.tracer ?? context.tracer,
    });
  };
}

/** Options of `bus.subscribe`: the bus fills in `schema`, `catalog`, `ticker` (and `logger`). */
export type BusSubscribeOptions<Client = unknown> =
  | Omit<PlainSubscribeOptions, 'schema' | 'catalog' | 'ticker'>
  | Omit<TransactionalSubscribeOptions<Client>, 'schema' | 'catalog' | 'ticker'>;
