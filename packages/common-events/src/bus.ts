import type { Tracer } from '@opentelemetry/api';
import type {
  ApplyMigrationsResult,
  Database,
  RunTransactionOptions,
  Transaction,
} from '@vsa/common-db';
import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import type { EventCatalog } from './catalog/define-catalog.js';
import type { AnyEventDefinition, EventOf } from './catalog/define-event.js';
import { type BusConsumers, createBusConsumers } from './consumer/bus-consumers.js';
import { consumerDefaultsSchema, type SubscribeOptions } from './consumer/options.js';
import type { PublishedEvent } from './envelope.js';
import { type EventExecutor, toQueryable } from './executor.js';
import { installEventStore } from './install.js';
import type { EventBusLogger } from './logger.js';
import { type EventBusMetrics, metricsOption } from './observability/metrics.js';
import { sampleBusMetrics } from './observability/sample.js';
import { defaultTracer, tracerOption } from './observability/tracing.js';
import { at, catalogOption, databaseOption, loggerOption, schemaOption } from './option-schemas.js';
import {
  bufferFrom,
  bufferTuningSchema,
  type EventBuffer,
  type EventBufferTuning,
} from './publish/event-buffer.js';
import { publishTraced } from './publish/publish-event.js';
import { type EventPage, type ReadOptions, readForBus } from './read/get-events-by-channel.js';
import { type Ticker, tickerFrom, tickIntervalOption } from './ticker/ticker.js';

/** Options of {@link createEventBus}. */
export interface EventBusOptions<D extends AnyEventDefinition, Client = unknown> {
  /**
   * The @vsa/common-db database (PostgreSQL or PGlite). Its client type (e.g. a PrismaClient)
   * types `tx.prisma` in `bus.transaction` and in transactional handlers.
   */
  readonly db: Database<Client>;
  /** Every event this application publishes or reads. */
  readonly catalog: EventCatalog<D>;
  /** Postgres schema of the bus's tables (default `vsa_events`). */
  readonly schema?: string;
  readonly logger?: EventBusLogger;
  /** Backstop tick interval in ms (default 50). */
  readonly tickIntervalMs?: number;
  /** Settings of `bus.buffer` (batch size, delay, memory bound, lanes). */
  readonly buffer?: EventBufferTuning;
  /**
   * Defaults for `bus.consumers.subscribe` (each subscription may override them): `listen:
   * false` makes every consumer of this process poll only, e.g. behind PgBouncer.
   */
  readonly consumers?: Pick<SubscribeOptions, 'listen' | 'pollIntervalMs'>;
  /**
   * Where to report counters, durations and sampled gauges (see `EventBusMetrics`); the app
   * wires it to its metrics library. Default: nothing is recorded.
   */
  readonly metrics?: EventBusMetrics;
  /**
   * OpenTelemetry tracer of the publish and delivery spans. Default: the global provider's
   * `@vsa/common-events` tracer, a no-op until an SDK is registered.
   */
  readonly tracer?: Tracer;
}

/** Options of `bus.publish`. */
export interface BusPublishOptions {
  /** See `PublishOptions.lockKeys`. */
  readonly lockKeys?: boolean;
}

/** The event bus of one application: publish, buffer, read, ticks, installation. */
export interface EventBus<D extends AnyEventDefinition = AnyEventDefinition, Client = unknown> {
  readonly schema: string;
  readonly catalog: EventCatalog<D>;
  readonly db: Database<Client>;
  readonly ticker: Ticker;
  /** Batched publishing outside business transactions (validated against the catalog). */
  readonly buffer: EventBuffer;
  /** Durable consumer groups: `subscribe`, status, dead letters, replay, retention. */
  readonly consumers: BusConsumers<Client>;
  /** Creates or upgrades the bus's tables (idempotent, safe to run from many processes). */
  install(): Promise<ApplyMigrationsResult>;
  /**
   * Publishes inside `tx` (a common-db transaction, a Prisma interactive transaction client,
   * or the database for auto-commit), validated against the catalog first.
   */
  publish(
    tx: EventExecutor,
    event: EventOf<D>,
    options?: BusPublishOptions,
  ): Promise<PublishedEvent>;
  publish(
    tx: EventExecutor,
    events: readonly EventOf<D>[],
    options?: BusPublishOptions,
  ): Promise<PublishedEvent[]>;
  /**
   * `db.transaction(fn)` that tells the ticker right after commit, so events published inside
   * reach consumers with the least latency.
   */
  transaction<T>(
    fn: (tx: Transaction<Client>) => Promise<T>,
    options?: RunTransactionOptions,
  ): Promise<T>;
  /** Reads a channel in delivery order (see `getEventsByChannel`), upcasting old versions. */
  read(
    channel: D['channel'],
    options?: Omit<ReadOptions, 'schema' | 'catalog'>,
  ): Promise<EventPage>;
  /**
   * Reports the sampled gauges to `metrics`: lag in events and seconds per group and
   * partition, age of the oldest transaction holding events back, buffer depth and pool
   * usage. One status query (see `getConsumerStatus`); call it when metrics are scraped.
   * Does nothing without `metrics`.
   */
  sampleMetrics(): Promise<void>;
  /** Starts the ticker (takes one tick at once). */
  start(): Promise<void>;
  /** Flushes and closes the buffer, stops the ticker. Call before `db.close()`. */
  stop(): Promise<void>;
}

/** `createEventBus`'s options: parsed once here; the parts flow resolved into ticker, buffer, consumers. */
const busOptionsSchema = z.strictObject({
  db: databaseOption,
  catalog: catalogOption,
  schema: schemaOption,
  logger: loggerOption,
  tickIntervalMs: tickIntervalOption,
  buffer: bufferTuningSchema,
  consumers: consumerDefaultsSchema,
  metrics: metricsOption,
  tracer: tracerOption,
});

/**
 * Ties the bus together for one database and catalog.
 *
 * @example
 * const bus = createEventBus({ db, catalog, logger });
 * await bus.install();
 * await bus.start();
 * await bus.transaction(async (tx) => {
 *   await tx.sql`update orders set status = 'placed' where id = ${id}`;
 *   await bus.publish(tx, OrderPlaced.create({ orderId: id, total }, { key: id }));
 * });
 */
export function createEventBus<const D extends AnyEventDefinition, Client = unknown>(
  options: EventBusOptions<D, Client>,
): EventBus<D, Client> {
  const o = parseOptions(busOptionsSchema, options, at('createEventBus(options)'));
  const { schema, logger, metrics } = o;
  const tracer = o.tracer ?? defaultTracer();
  // The schema checks the shapes; the types are the caller's (its catalog and client).
  const db = o.db as Database<Client>;
  const catalog = o.catalog as EventCatalog<D>;
  const queryable = toQueryable(db);
  const ticker = tickerFrom({ db: queryable, schema, intervalMs: o.tickIntervalMs, logger });
  const buffer = bufferFrom({
    ...o.buffer,
    db,
    schema,
    catalog,
    onCommit: () => ticker.signal(),
    metrics,
  });
  const consumers = createBusConsumers<Client>({
    db,
    schema,
    catalog,
    ticker,
    logger,
    metrics,
    tracer,
    defaults: o.consumers,
  });
  // Transactions of bus.transaction while their callback runs: their commit is observed, no
  // need to watch. A Set emptied as each callback ends, not a WeakSet: a weak entry per
  // transaction costs every garbage collection an ephemeron to trace.
  const observed = new Set<object>();

  async function publish(
    tx: EventExecutor,
    events: EventOf<D> | readonly EventOf<D>[],
    publishOptions: BusPublishOptions = {},
  ): Promise<PublishedEvent | PublishedEvent[]> {
    toQueryable(tx); // fail on an unsupported executor before validating anything
    const published = await publishTraced(tx, events, {
      schema,
      catalog,
      lockKeys: publishOptions.lockKeys === true,
      tracer,
      metrics,
    });
    const result = Array.isArray(events) ? published : published[0];
    if (tx === db)
      ticker.signal(); // auto-commit: durable already
    else if (!observed.has(tx)) ticker.watch();
    return result as PublishedEvent | PublishedEvent[];
  }

  return {
    schema,
    catalog,
    db,
    ticker,
    buffer,
    consumers,
    install: () => installEventStore(db, { schema }),
    publish: publish as EventBus<D, Client>['publish'],
    async transaction<T>(
      fn: (tx: Transaction<Client>) => Promise<T>,
      txOptions?: RunTransactionOptions,
    ): Promise<T> {
      const result = await db.transaction(async (tx) => {
        observed.add(tx);
        try {
          return await fn(tx);
        } finally {
          observed.delete(tx);
        }
      }, txOptions);
      ticker.signal(); // an empty batch costs one read-only round trip
      return result;
    },
    read(channel, readOptions) {
      return readForBus(queryable, channel, readOptions, {
        schema,
        catalog,
        ticking: ticker.running,
      });
    },
    async sampleMetrics() {
      if (metrics !== undefined) await sampleBusMetrics(db, schema, buffer, metrics);
    },
    async start() {
      ticker.start();
      await ticker.tick();
    },
    async stop() {
      await consumers.stopAll(); // graceful stop of consumer groups first
      await buffer.close();
      await ticker.stop();
    },
  };
}
