import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AdminSliceOptions } from './deps.js';

const nameSchema = z.string().regex(/^[a-z][a-z0-9._-]{0,62}$/);

/**
 * `POST /groups/:group/reset`: replays a consumer group from the beginning, now, a position
 * or a time (every partition; other groups are unaffected).
 */
export const groupsRoute: FastifyPluginAsync<AdminSliceOptions> = async (app, { bus }) => {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/groups/:group/reset',
    {
      schema: {
        tags: ['admin'],
        summary: 'Replay (reset) a consumer group',
        params: z.object({ group: nameSchema }),
        body: z.strictObject({
          channel: nameSchema.optional(),
          to: z.union([
            z.enum(['beginning', 'now']),
            z.strictObject({ position: z.string().min(1).max(200) }),
            z.strictObject({ time: z.iso.datetime() }),
          ]),
        }),
        response: {
          200: z.object({ group: z.string(), cursor: z.string() }),
          ...problemResponses(400, 401, 404, 500, 503),
        },
      },
    },
    async (request) => {
      const { channel, to } = request.body;
      const target = typeof to === 'object' && 'time' in to ? { time: new Date(to.time) } : to;
      const cursor = await bus.consumers.resetGroup({
        group: request.params.group,
        to: target,
        ...(channel === undefined ? {} : { channel }),
      });
      request.log.warn({ group: request.params.group, channel, to }, 'consumer group reset');
      return { group: request.params.group, cursor };
    },
  );
};
