import { z } from 'zod';

/**
 * Labels of one handler call: the same frozen object for every call of one consumer with one
 * event type, so a recorder may cache its series per object (a `WeakMap`).
 */
export interface HandlerLabels {
  readonly group: string;
  readonly channel: string;
  readonly type: string;
}

/** The lag of one partition of a consumer group, as sampled. */
export interface ConsumerLagSample {
  readonly group: string;
  readonly channel: string;
  readonly partition: number;
  /** Events not yet processed. */
  readonly events: number;
  /** Time between the tick the partition is at and the newest tick, in seconds. */
  readonly seconds: number;
}

/** Connections of a database pool at one moment (see `Database.poolUsage`). */
export interface PoolUsageSample {
  /** Most connections the pool opens. */
  readonly max: number;
  /** Connections open now (idle + in use). */
  readonly total: number;
  readonly idle: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
}

/**
 * Where the bus reports what it does, for an app to forward to its metrics library
 * (prom-client, OpenTelemetry metrics, StatsD). Every method is optional and called
 * synchronously on the hot path: keep them to a counter increment or a histogram observe.
 * Counters are reported as they happen; the gauges (lag, oldest transaction, buffer depth,
 * pool) when `bus.sampleMetrics()` runs, typically once per scrape. Without `metrics` the bus
 * calls nothing and measures nothing extra.
 *
 * @example
 * const published = new promClient.Counter({ name: 'events_published_total', help: '…', labelNames: ['channel', 'type'] });
 * createEventBus({ db, catalog, metrics: { published: (channel, type, n) => published.inc({ channel, type }, n) } });
 */
export interface EventBusMetrics {
  /** `count` events of `type` inserted on `channel` (in a transaction, counted at insert). */
  published?(channel: string, type: string, count: number): void;
  /** A handler call returned after `seconds`. */
  handled?(labels: HandlerLabels, seconds: number): void;
  /** A handler call threw after `seconds`. */
  failed?(labels: HandlerLabels, seconds: number): void;
  /** A failed event was scheduled for another attempt. */
  retried?(group: string, channel: string): void;
  /** An event ran out of attempts and was stored as a dead letter. */
  deadLettered?(group: string, channel: string): void;
  /** The event buffer wrote a batch of `events` in `seconds` (`ok` false: the batch failed). */
  bufferFlushed?(events: number, seconds: number, ok: boolean): void;
  /**
   * Sampled: every partition of every group, with the events not yet processed and the lag
   * in seconds; a partition missing from the list is gone.
   */
  consumerLag?(partitions: readonly ConsumerLagSample[]): void;
  /** Sampled: age in seconds of the oldest open transaction holding events back (0: none). */
  oldestTransactionAge?(seconds: number): void;
  /** Sampled: events the buffer holds (queued, in flight, waiting for room). */
  bufferDepth?(events: number): void;
  /** Sampled: the database pool (not reported on PGlite, which has one connection). */
  poolUsage?(usage: PoolUsageSample): void;
}

const METHODS = [
  'published',
  'handled',
  'failed',
  'retried',
  'deadLettered',
  'bufferFlushed',
  'consumerLag',
  'oldestTransactionAge',
  'bufferDepth',
  'poolUsage',
] as const;

/** What is wrong with a `metrics` option, or undefined when it is fine. */
function metricsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) {
    return `must be an object of recorder functions (${METHODS.join(', ')})`;
  }
  for (const [key, fn] of Object.entries(value)) {
    if (!(METHODS as readonly string[]).includes(key)) {
      return `has an unknown method ${key}; the bus reports ${METHODS.join(', ')}`;
    }
    if (fn !== undefined && typeof fn !== 'function') return `has ${key}, which must be a function`;
  }
  return undefined;
}

/**
 * A `metrics` option: an object whose known keys are functions. Unknown keys are refused, so
 * a misspelt method does not silently record nothing. @internal
 */
export const metricsOption: z.ZodType<EventBusMetrics | undefined, EventBusMetrics | undefined> = z
  .custom<EventBusMetrics | undefined>()
  .superRefine((value, ctx) => {
    if (value === undefined) return;
    const problem = metricsProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .optional();

/** One published event as counted: duplicates (idempotency key seen before) are not. */
interface Counted {
  readonly channel: string;
  readonly type: string;
  readonly duplicate?: boolean;
}

/** Reports `events` as published, one call per run of one (channel, type). @internal */
export function countPublished(
  metrics: EventBusMetrics | undefined,
  events: readonly Counted[],
): void {
  const record = metrics?.published;
  if (record === undefined) return;
  // Batches are mostly one channel and type: count runs instead of building a map.
  let run: Counted | undefined;
  let n = 0;
  for (const e of events) {
    if (e.duplicate === true) continue;
    if (run !== undefined && e.channel === run.channel && e.type === run.type) n++;
    else {
      if (run !== undefined) record.call(metrics, run.channel, run.type, n);
      run = e;
      n = 1;
    }
  }
  if (run !== undefined) record.call(metrics, run.channel, run.type, n);
}
