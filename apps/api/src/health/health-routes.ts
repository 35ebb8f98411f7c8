import type { FastifyPluginAsync } from 'fastify';

/** What readiness depends on: each check resolves when its dependency can serve. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<{ ok: boolean; detail?: string }>;
}

/**
 * `GET /health/live`: the process is up and serving (no dependency checked, so an orchestrator
 * never restarts the API because the database is slow). `GET /health/ready`: every readiness
 * check passes; 503 with the failing checks otherwise.
 */
export const healthRoutes: FastifyPluginAsync<{ checks: readonly ReadinessCheck[] }> = async (
  app,
  { checks },
) => {
  app.get('/health/live', async () => ({ status: 'ok' }));

  app.get('/health/ready', async (_request, reply) => {
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
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks: results });
  });
};
