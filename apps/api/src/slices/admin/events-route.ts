import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AdminSliceOptions } from './deps.js';

const storedEventSchema = z.object({
  id: z.string(),
  channel: z.string(),
  type: z.string(),
  version: z.int(),
  key: z.string().nullable(),
  payload: z.unknown(),
  metadata: z.record(z.string(), z.unknown()),
  occurredAt: z.iso.datetime(),
  recordedAt: z.iso.datetime(),
  seq: z.number(),
  position: z.string(),
});

/** `GET /events/:channel?after=&limit=`: a channel's events in delivery order, paged by cursor. */
export const eventsRoute: FastifyPluginAsync<AdminSliceOptions> = async (app, { bus }) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/events/:channel',
    {
      schema: {
        tags: ['admin'],
        summary: "A channel's events in delivery order",
        params: z.object({ channel: z.string().regex(/^[a-z][a-z0-9._-]{0,62}$/) }),
        querystring: z.object({
          after: z.string().min(1).max(200).optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ events: z.array(storedEventSchema), nextCursor: z.string() }),
          ...problemResponses(400, 401, 500, 503),
        },
      },
    },
    async (request) => {
      const { after, limit } = request.query;
      const page = await bus.read(request.params.channel as never, {
        limit,
        ...(after === undefined ? {} : { after }),
      });
      return {
        nextCursor: page.nextCursor,
        events: page.events.map((event) => ({
          id: event.id,
          channel: event.channel,
          type: event.type,
          version: event.version,
          key: event.key,
          payload: event.payload,
          metadata: { ...event.metadata },
          occurredAt: event.occurredAt.toISOString(),
          recordedAt: event.recordedAt.toISOString(),
          seq: event.seq,
          position: event.position,
        })),
      };
    },
  );
};
