import { errorHandlerPlugin, genReqId, requestContextPlugin } from '@vsa/common-middleware';
import Fastify, {
  type FastifyInstance,
  LogController,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { healthRoutes, type ReadinessCheck } from './health/health-routes.js';
import type { Infrastructure } from './infrastructure.js';
import { DOCS_PATH, registerApiDocs, type UndocumentedRoute } from './platform/api-docs.js';
import type { AppInstance } from './platform/app-instance.js';
import { registerBodyEncodingGuard } from './platform/body-encoding.js';
import { registerConsole } from './platform/console-static.js';
import {
  createClientErrorHandler,
  frameworkErrors,
  registerClosingGuard,
} from './platform/framework-errors.js';
import { registerHttpHardening } from './platform/http-hardening.js';
import {
  type ApiMetrics,
  createApiMetrics,
  registerHttpMetrics,
  registerMetricsRoute,
} from './platform/metrics.js';
import type { PlatformSettings } from './platform/platform-settings.js';
import { childLoggerWithoutReqId, registerRequestLogging } from './platform/request-logging.js';
import type { Tracing } from './platform/tracing.js';
import type { ApiSettings } from './settings.js';
import { adminTokenCheck } from './slices/admin/admin-token.js';
import { adminSlice } from './slices/admin/index.js';
import { inventorySlice } from './slices/inventory/index.js';
import { ordersSlice } from './slices/orders/index.js';
import { shippingSlice } from './slices/shipping/index.js';

/** The API's Fastify instance: pino logger, zod type provider. */
export type ApiServer = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  Logger,
  ZodTypeProvider
> & {
  /** Routes registered without a summary or response schemas (a test keeps it empty). */
  readonly undocumentedRoutes: () => readonly UndocumentedRoute[];
};

/** Where the API reference page is served. */
export { DOCS_PATH };

/** Everything the server is built from; main.ts creates these, tests pass their own. */
export interface ServerDependencies {
  readonly settings: Pick<
    ApiSettings,
    | 'NODE_ENV'
    | 'TRUST_PROXY'
    | 'BODY_LIMIT'
    | 'ADMIN_TOKEN'
    | 'IDEMPOTENCY_KEY_TTL_MS'
    | 'IDEMPOTENCY_KEY_SWEEP_INTERVAL_MS'
  > &
    Omit<PlatformSettings, 'DB_START_RETRY_MS' | 'SHUTDOWN_TIMEOUT_MS'>;
  readonly logger: Logger;
  readonly readiness?: readonly ReadinessCheck[];
  /** Database and event bus; without them only the health routes exist. */
  readonly infrastructure?: Pick<Infrastructure, 'db' | 'bus'>;
  /** The console's built files (default: @vsa/console's dist folder). */
  readonly consoleRoot?: string;
  /** Registers more routes before the server is ready (an embedding app, tests). */
  readonly extend?: (app: AppInstance) => void | Promise<void>;
  /**
   * The Prometheus registry behind `GET /metrics` (with the bus's recorders when the bus was
   * created with `metrics: metrics.bus`); default: one with the HTTP metrics only.
   */
  readonly metrics?: ApiMetrics;
  /** Running tracing (see `startTracing`): `@fastify/otel` is registered before any route. */
  readonly tracing?: Pick<Tracing, 'fastify'>;
  /** Runs when the server closes, after in-flight requests finished (e.g. close the bus and db). */
  readonly onClose?: () => Promise<void>;
}

/**
 * Builds the API without listening (`main.ts` listens, tests use `app.inject()`), in the order
 * the conventions give: logging → request context → errors → db/events → slices.
 */
export async function buildServer(deps: ServerDependencies): Promise<ApiServer> {
  const settings = deps.settings;
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId,
    // One id per line, under one name: see request-logging.ts.
    childLoggerFactory: childLoggerWithoutReqId,
    // Fastify's own request lines are off (request-logging.ts writes them). Through a
    // LogController: the top-level `disableRequestLogging` is deprecated (FSTDEP023).
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: fastifyTrustProxy(settings.TRUST_PROXY),
    bodyLimit: settings.BODY_LIMIT,
    // Timeouts: a client trickling its headers or body cannot hold a socket forever.
    connectionTimeout: settings.CONNECTION_TIMEOUT_MS,
    requestTimeout: settings.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: settings.KEEP_ALIVE_TIMEOUT_MS,
    // Node checks requestTimeout only every connectionsCheckingInterval (30 s by default).
    http: {
      connectionsCheckingInterval: Math.max(
        50,
        Math.min(30_000, Math.floor(settings.REQUEST_TIMEOUT_MS / 4)),
      ),
    },
    // Every error response is problem+json, also those raised before routing or while closing.
    frameworkErrors,
    clientErrorHandler: createClientErrorHandler(deps.logger),
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();
  // Node requires headersTimeout <= requestTimeout; Fastify has no option for it.
  app.server.headersTimeout = Math.min(settings.HEADERS_TIMEOUT_MS, settings.REQUEST_TIMEOUT_MS);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Traces first, so every hook and route below runs inside the request span.
  if (deps.tracing !== undefined) await app.register(deps.tracing.fastify.plugin());
  // Request context first: its onRequest hook must run before any other hook logs.
  await app.register(requestContextPlugin);
  const metrics = deps.metrics ?? createApiMetrics({ defaultMetrics: false });
  registerHttpMetrics(app, metrics);
  registerRequestLogging(app);
  // Before any route: the handler collects routes to answer 405 for a known path.
  // 5xx messages (driver text, Prisma's) reach a body only when a setting asks for it.
  await app.register(errorHandlerPlugin, {
    exposeInternalErrors: settings.EXPOSE_ERROR_DETAILS,
  });
  registerClosingGuard(app);
  registerBodyEncodingGuard(app);
  await registerHttpHardening(app, settings);
  const undocumentedRoutes = await registerApiDocs(app, {
    title: 'vsa-common API',
    version: '0.1.0',
  });

  const infrastructure = deps.infrastructure;
  const readiness = [...(deps.readiness ?? [])];
  if (infrastructure) {
    readiness.push({
      name: 'database',
      check: async () => {
        const report = await infrastructure.db.health({ timeoutMs: 2000 });
        return report.ok ? { ok: true } : { ok: false, detail: report.error ?? 'unavailable' };
      },
    });
  }
  await app.register(healthRoutes, {
    checks: readiness,
    exposeDetails: settings.EXPOSE_ERROR_DETAILS,
  });

  registerMetricsRoute(app, {
    metrics,
    check: adminTokenCheck(settings.ADMIN_TOKEN),
    ...(infrastructure ? { sample: () => infrastructure.bus.sampleMetrics() } : {}),
  });

  // Slices: encapsulated plugins that get exactly what they touch.
  if (infrastructure) {
    const { db, bus } = infrastructure;
    await app.register(ordersSlice, {
      prefix: '/orders',
      db,
      bus,
      idempotencyKeys: {
        ttlMs: settings.IDEMPOTENCY_KEY_TTL_MS,
        sweepIntervalMs: settings.IDEMPOTENCY_KEY_SWEEP_INTERVAL_MS,
      },
    });
    await app.register(inventorySlice, { prefix: '/inventory', db, bus });
    await app.register(shippingSlice, { prefix: '/shipments', db, bus });
    await app.register(adminSlice, { prefix: '/admin', bus, token: deps.settings.ADMIN_TOKEN });
  }
  // The events console (static files) reads the admin routes only.
  await registerConsole(app, deps.consoleRoot);
  await deps.extend?.(app);
  const onClose = deps.onClose;
  if (onClose) app.addHook('onClose', async () => onClose());
  await app.ready();
  return Object.assign(app, { undocumentedRoutes });
}

/** Fastify's typings take a hop count as a function of the hop index. */
function fastifyTrustProxy(
  value: ApiSettings['TRUST_PROXY'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return typeof value === 'boolean' ? value : [...value];
}
