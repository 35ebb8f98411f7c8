import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AdminSliceOptions } from './deps.js';
import { type RecentEvent, recentEvents } from './recent-events.js';
import { sharedCache } from './shared-cache.js';

const channelSchema = z.string().regex(/^[a-z][a-z0-9._-]{0,62}$/);

/** An event of the console's tail. */
export const recentEventSchema = z.object({
  id: z.string(),
  seq: z.number().meta({ description: 'Global position (insert order)' }),
  type: z.string(),
  version: z.int(),
  key: z.string().nullable(),
  payload: z.unknown(),
  recordedAt: z.iso.datetime(),
});

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

/**
 * `GET /channels`: every channel of the catalog with its event types.
 * `GET /events/:channel?after=&limit=`: a channel's events in delivery order, paged by cursor.
 * `GET /events/:channel/recent?limit=`: its newest events (the console's live tail), read at
 * most once a second per channel and limit however many tabs poll it.
 */
export const eventsRoute: FastifyPluginAsync<AdminSliceOptions> = async (app, { bus }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const recent = sharedCache<RecentEvent[]>(1000);
  typed.get(
    '/channels',
    {
      schema: {
        tags: ['admin'],
        summary: 'Event channels of the catalog, with their event types',
        response: {
          200: z.object({
            channels: z.array(z.object({ channel: z.string(), types: z.array(z.string()) })),
          }),
          ...problemResponses(401, 500, 503),
        },
      },
    },
    async () => {
      const channels = new Map<string, Set<string>>();
      for (const def of bus.catalog.definitions) {
        const types = channels.get(def.channel) ?? new Set<string>();
        types.add(def.type);
        channels.set(def.channel, types);
      }
      return {
        channels: [...channels]
          .map(([channel, types]) => ({ channel, types: [...types].sort() }))
          .sort((a, b) => a.channel.localeCompare(b.channel)),
      };
    },
  );
  typed.get(
    '/events/:channel/recent',
    {
      schema: {
        tags: ['admin'],
        summary: "A channel's newest events, newest first (cached for one second)",
        params: z.object({ channel: channelSchema }),
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
        response: {
          200: z.object({ events: z.array(recentEventSchema) }),
          ...problemResponses(400, 401, 500, 503),
        },
      },
    },
    async (request) => {
      const { channel } = request.params;
      const { limit } = request.query;
      const events = await recent.get(`${channel}\u0000${limit}`, () =>
        recentEvents(bus, channel, limit),
      );
      return { events };
    },
  );
  typed.get(
    '/events/:channel',
    {
      schema: {
        tags: ['admin'],
        summary: "A channel's events in delivery order",
        params: z.object({ channel: channelSchema }),
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
