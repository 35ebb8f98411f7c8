import type { EventBusMetrics } from '@vsa/common-events/admin';
import { createPrometheusMetrics } from '@vsa/common-events/prometheus';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { AdminTokenCheck } from '../slices/admin/admin-token.js';
import type { AppInstance } from './app-instance.js';
import { createHttpDurationHistogram, type HttpDurationHistogram } from './http-histogram.js';

/** The API's Prometheus registry and the recorders that fill it. */
export interface ApiMetrics {
  readonly registry: Registry;
  /** Give to `createEventBus({ metrics })`. */
  readonly bus: EventBusMetrics;
  /** HTTP metrics per route; registered by {@link registerMetricsRoute}. */
  readonly http: {
    readonly duration: HttpDurationHistogram;
    /** Requests being served now, by method: plain counts, read into the gauge when scraped. */
    readonly inFlight: Map<string, number>;
  };
  /** The registry in Prometheus text format, after `sample` (e.g. `bus.sampleMetrics`) ran. */
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
 * A prom-client registry with the HTTP metrics and the event bus's (`createPrometheusMetrics`
 * of `@vsa/common-events/prometheus`, which registers into it without depending on
 * prom-client).
 */
export function createApiMetrics(options: ApiMetricsOptions = {}): ApiMetrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const inFlight = new Map<string, number>();
  new Gauge({
    name: 'http_requests_in_flight',
    help: 'HTTP requests being served now',
    labelNames: ['method'] as const,
    registers: [registry],
    collect() {
      for (const [method, count] of inFlight) this.set({ method }, count);
    },
  });
  const http = {
    duration: createHttpDurationHistogram(registry, {
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route pattern and status code, in seconds',
      buckets: LATENCY_BUCKETS,
    }),
    inFlight,
  };
  // The bus's metrics: plain numbers on the hot path, rendered by this registry when scraped.
  const bus = createPrometheusMetrics(registry, { buckets: LATENCY_BUCKETS });
  return {
    registry,
    bus,
    http,
    async scrape(sample) {
      await sample?.();
      return registry.metrics();
    },
  };
}
const STARTED = Symbol('metricsInFlight');

type Tracked = FastifyRequest & { [STARTED]?: boolean };

/**
 * Records every request's duration (by route pattern, so ids do not explode the label set)
 * and the requests in flight. Two hooks, plain-number updates per request.
 */
export function registerHttpMetrics(app: AppInstance, metrics: ApiMetrics): void {
  const { duration, inFlight } = metrics.http;
  const done = (request: Tracked) => {
    if (request[STARTED] !== true) return;
    request[STARTED] = false;
    inFlight.set(request.method, (inFlight.get(request.method) ?? 1) - 1);
  };
  app.addHook('onRequest', (request: Tracked, _reply, next) => {
    request[STARTED] = true;
    inFlight.set(request.method, (inFlight.get(request.method) ?? 0) + 1);
    next();
  });
  app.addHook('onResponse', (request: Tracked, reply: FastifyReply, next) => {
    done(request);
    duration.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
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
