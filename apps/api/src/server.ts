import Fastify, { type FastifyInstance } from 'fastify';
import { healthRoutes, type ReadinessCheck } from './health/health-routes.js';

/** Everything the server is built from; main.ts creates these, tests pass their own. */
export interface ServerDependencies {
  readonly readiness?: readonly ReadinessCheck[];
}

/** Builds the API without listening: `main.ts` listens, tests use `app.inject()`. */
export async function buildServer(deps: ServerDependencies = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  healthRoutes(app, deps.readiness ?? []);
  await app.ready();
  return app;
}
