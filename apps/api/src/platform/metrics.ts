import type { EventBusMetrics } from '@vsa/common-events/admin';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AdminTokenCheck } from '../slices/admin/admin-token.js';
import type { AppInstance } from './app-instance.js';

/** The API's Prometheus registry and the recorders that fill it. */
export interface ApiMetrics {
  readonly registry: Registry;
  /** Give to `createEventBus({ metrics })`. */
  readonly bus: EventBusMetrics;
  /** HTTP metrics per route; registered by {@link registerMetricsRoute}. */
  readonly http: {
    readonly duration: Histogram<'method' | 'route' | 'status_code'>;
    readonly inFlight: Gauge<'method'>;
  };
  /**
   * The registry in Prometheus text format, after `sample` (e.g. `bus.sampleMetrics`) set the
   * gauges afresh: a group or partition that went away does not keep its last lag.
   */
  scrape(sample?: () => Promise<void>): Promise<string>;
}

/** Options of {@link createApiMetrics}. */
export interface ApiMetricsOptions {
  /** Node process metrics (CPU, memory, event loop lag, GC); default true. */
  readonly defaultMetrics?: boolean;
}

// Seconds. Handlers and requests of this API take milliseconds; the top buckets catch stalls.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * A prom-client registry with the HTTP metrics and the event bus's, and the
 * `EventBusMetrics` adapter that writes into it (the packages know no metrics library).
 */
export function createApiMetrics(options: ApiMetricsOptions = {}): ApiMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const http = {
    duration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status code, in seconds',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    inFlight: new Gauge({
      name: 'http_requests_in_flight',
      help: 'HTTP requests being served now',
      labelNames: ['method'] as const,
      registers,
    }),
  };
  const published = new Counter({
    name: 'vsa_events_published_total',
    help: 'Events inserted by publish and the event buffer, by channel and type',
    labelNames: ['channel', 'type'] as const,
    registers,
  });
  const handled = new Counter({
    name: 'vsa_events_handled_total',
    help: 'Handler calls that returned, by consumer group, channel and type',
    labelNames: ['group', 'channel', 'type'] as const,
    registers,
  });
  const failed = new Counter({
    name: 'vsa_events_failed_total',
    help: 'Handler calls that threw, by consumer group, channel and type',
    labelNames: ['group', 'channel', 'type'] as const,
    registers,
  });
  const retried = new Counter({
    name: 'vsa_events_retried_total',
    help: 'Failed events scheduled for another attempt, by consumer group and channel',
    labelNames: ['group', 'channel'] as const,
    registers,
  });
  const deadLettered = new Counter({
    name: 'vsa_events_dead_lettered_total',
    help: 'Events moved to dead letters, by consumer group and channel',
    labelNames: ['group', 'channel'] as const,
    registers,
  });
  const handlerDuration = new Histogram({
    name: 'vsa_events_handler_duration_seconds',
    help: 'Handler call duration by consumer group, channel and outcome, in seconds',
    labelNames: ['group', 'channel', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const lagEvents = new Gauge({
    name: 'vsa_events_consumer_lag_events',
    help: 'Events not yet processed, by consumer group, channel and partition',
    labelNames: ['group', 'channel', 'partition'] as const,
    registers,
  });
  const lagSeconds = new Gauge({
    name: 'vsa_events_consumer_lag_seconds',
    help: 'Time between the tick a partition is at and the newest tick, in seconds',
    labelNames: ['group', 'channel', 'partition'] as const,
    registers,
  });
  const oldestTransaction = new Gauge({
    name: 'vsa_events_oldest_transaction_age_seconds',
    help: 'Age of the oldest open transaction that wrote events (they wait for its commit); 0 when none',
    registers,
  });
  const bufferDepth = new Gauge({
    name: 'vsa_events_buffer_depth',
    help: 'Events held by the event buffer (queued, in flight, waiting for room)',
    registers,
  });
  const bufferFlush = new Histogram({
    name: 'vsa_events_buffer_flush_duration_seconds',
    help: 'Event buffer batch writes by outcome, in seconds',
    labelNames: ['outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const pool = new Gauge({
    name: 'vsa_db_pool_connections',
    help: 'Database pool connections by state (idle, used, waiting = callers queued, max)',
    labelNames: ['state'] as const,
    registers,
  });
  const bus: EventBusMetrics = {
    published: (channel, type, count) => published.inc({ channel, type }, count),
    handled: ({ group, channel, type }, seconds) => {
      handled.inc({ group, channel, type });
      handlerDuration.observe({ group, channel, outcome: 'ok' }, seconds);
    },
    failed: ({ group, channel, type }, seconds) => {
      failed.inc({ group, channel, type });
      handlerDuration.observe({ group, channel, outcome: 'error' }, seconds);
    },
    retried: (group, channel) => retried.inc({ group, channel }),
    deadLettered: (group, channel) => deadLettered.inc({ group, channel }),
    bufferFlushed: (_events, seconds, ok) =>
      bufferFlush.observe({ outcome: ok ? 'ok' : 'error' }, seconds),
    consumerLag: (group, channel, partition, events, seconds) => {
      const labels = { group, channel, partition: String(partition) };
      lagEvents.set(labels, events);
      lagSeconds.set(labels, seconds);
    },
    oldestTransactionAge: (seconds) => oldestTransaction.set(seconds),
    bufferDepth: (events) => bufferDepth.set(events),
    poolUsage: ({ max, total, idle, waiting }) => {
      pool.set({ state: 'idle' }, idle);
      pool.set({ state: 'used' }, total - idle);
      pool.set({ state: 'waiting' }, waiting);
      pool.set({ state: 'max' }, max);
    },
  };
  return {
    registry,
    bus,
    http,
    async scrape(sample) {
      if (sample !== undefined) {
        lagEvents.reset();
        lagSeconds.reset();
        await sample();
      }
      return registry.metrics();
    },
  };
}
const STARTED = Symbol('metricsInFlight');

type Tracked = FastifyRequest & { [STARTED]?: boolean };

/**
 * Records every request's duration (by route pattern, so ids do not explode the label set)
 * and the requests in flight. Two hooks, a label object and one observe per request.
 */
export function registerHttpMetrics(app: AppInstance, metrics: ApiMetrics): void {
  const { duration, inFlight } = metrics.http;
  const done = (request: Tracked) => {
    if (request[STARTED] !== true) return;
    request[STARTED] = false;
    inFlight.dec({ method: request.method });
  };
  app.addHook('onRequest', (request: Tracked, _reply, next) => {
    request[STARTED] = true;
    inFlight.inc({ method: request.method });
    next();
  });
  app.addHook('onResponse', (request: Tracked, reply: FastifyReply, next) => {
    done(request);
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    next();
  });
  // An aborted request gets no onResponse.
  app.addHook('onRequestAbort', (request: Tracked, next) => {
    done(request);
    next();
  });
}

/** Options of {@link registerMetricsRoute}. */
export interface MetricsRouteOptions {
  readonly metrics: ApiMetrics;
  /** The admin token check: scrapers send `Authorization: Bearer <ADMIN_TOKEN>`. */
  readonly check: AdminTokenCheck;
  /** Samples the gauges (lag, oldest transaction, buffer, pool) before each scrape. */
  readonly sample?: () => Promise<void>;
}

/** `GET /metrics`: the registry in Prometheus text format, behind the admin token. */
export function registerMetricsRoute(app: AppInstance, options: MetricsRouteOptions): void {
  const { metrics, check, sample } = options;
  app.get(
    '/metrics',
    {
      schema: { hide: true },
      // Scrapes are not requests worth a trace of their own.
      config: { otel: false },
      onRequest: async (request, reply) => {
        try {
          check(request.headers.authorization);
        } catch (error) {
          reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw error;
        }
      },
    },
    async (_request, reply) => {
      const text = await metrics.scrape(sample);
      reply.type(metrics.registry.contentType);
      return text;
    },
  );
}
