import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** What readiness depends on: each check resolves when its dependency can serve. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<{ ok: boolean; detail?: string }>;
}

/** Options of {@link healthRoutes}. */
export interface HealthRoutesOptions {
  readonly checks: readonly ReadinessCheck[];
  /**
   * Put a failing check's detail (driver error text: host names, ports) in the response. Off in
   * production: the body then says only which check failed; the detail is always logged.
   */
  readonly exposeDetails: boolean;
}

/**
 * `GET /health/live`: the process is up and serving (no dependency checked, so an orchestrator
 * never restarts the API because the database is slow). `GET /health/ready`: every readiness
 * check passes; 503 with the failing checks otherwise. Health answers are the orchestrator's
 * `{ status, checks }` format, not problem+json: a 503 here is a state, not a request error.
 */
const LIVE_BODY = JSON.stringify({ status: 'ok' });

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (
  plain,
  { checks, exposeDetails },
) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process serves requests',
        tags: ['health'],
        response: { 200: liveSchema },
      },
      // The body is a constant: the schema documents it; serializing it through zod per
      // probe would only re-check what the type already guarantees.
      serializerCompiler: () => () => LIVE_BODY,
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        summary: 'Readiness: every dependency (the database) can serve',
        tags: ['health'],
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (request, reply) => {
      const results = await Promise.all(
        checks.map(async ({ name, check }) => {
          try {
            return { name, ...(await check()) };
          } catch (error) {
            return {
              name,
              ok: false,
              detail: error instanceof Error ? error.message : String(error),
            };
          }
        }),
      );
      const ok = results.every((result) => result.ok);
      if (!ok) request.log.warn({ checks: results }, 'readiness check failed');
      const shown = exposeDetails ? results : results.map(({ name, ok }) => ({ name, ok }));
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks: shown });
    },
  );
};

const liveSchema = z.object({ status: z.literal('ok') });

const readySchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
});
