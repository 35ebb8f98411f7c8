import { errorHandlerPlugin, genReqId, requestContextPlugin } from '@vsa/common-middleware';
import Fastify, {
  type FastifyInstance,
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
import type { ApiSettings } from './settings.js';
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
>;

/** Everything the server is built from; main.ts creates these, tests pass their own. */
export interface ServerDependencies {
  readonly settings: Pick<ApiSettings, 'NODE_ENV' | 'TRUST_PROXY' | 'BODY_LIMIT' | 'ADMIN_TOKEN'>;
  readonly logger: Logger;
  readonly readiness?: readonly ReadinessCheck[];
  /** Database and event bus; without them only the health routes exist. */
  readonly infrastructure?: Pick<Infrastructure, 'db' | 'bus'>;
  /** Runs when the server closes, after in-flight requests finished (e.g. close the bus and db). */
  readonly onClose?: () => Promise<void>;
}

/**
 * Builds the API without listening (`main.ts` listens, tests use `app.inject()`), in the order
 * the conventions give: logging → request context → errors → db/events → slices.
 */
export async function buildServer(deps: ServerDependencies): Promise<ApiServer> {
  const app = Fastify({
    loggerInstance: deps.logger,
    genReqId,
    trustProxy: fastifyTrustProxy(deps.settings.TRUST_PROXY),
    bodyLimit: deps.settings.BODY_LIMIT,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  // Request context first: its onRequest hook must run before any other hook logs.
  await app.register(requestContextPlugin);
  // Before any route: the handler collects routes to answer 405 for a known path.
  await app.register(errorHandlerPlugin, {
    exposeInternalErrors: deps.settings.NODE_ENV !== 'production',
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
    exposeDetails: deps.settings.NODE_ENV !== 'production',
  });

  // Slices: encapsulated plugins that get exactly what they touch.
  if (infrastructure) {
    const { db, bus } = infrastructure;
    await app.register(ordersSlice, { prefix: '/orders', db, bus });
    await app.register(inventorySlice, { prefix: '/inventory', db, bus });
    await app.register(shippingSlice, { prefix: '/shipments', db, bus });
    await app.register(adminSlice, { prefix: '/admin', bus, token: deps.settings.ADMIN_TOKEN });
  }
  const onClose = deps.onClose;
  if (onClose) app.addHook('onClose', async () => onClose());
  await app.ready();
  return app;
}

/** Fastify's typings take a hop count as a function of the hop index. */
function fastifyTrustProxy(
  value: ApiSettings['TRUST_PROXY'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return typeof value === 'boolean' ? value : [...value];
}
