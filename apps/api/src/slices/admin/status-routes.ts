import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cachedConsumerStatus, consumerStatusViewSchema } from './consumer-status.js';
import type { AdminSliceOptions } from './deps.js';

const ADMIN_PROBLEMS = [401, 500, 503] as const;

/**
 * `GET /status/consumers`: per consumer group and partition, lag in events and seconds,
 * dead-letter depth, blocks, and the age of the open transactions holding delivery back.
 * `GET /status/events.asyncapi.json`: the AsyncAPI 3 document of every channel.
 */
export const statusRoutes: FastifyPluginAsync<AdminSliceOptions> = async (app, { bus }) => {
  const status = cachedConsumerStatus(bus);
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.get(
    '/status/consumers',
    {
      schema: {
        tags: ['admin'],
        summary: 'Consumer groups with lag and what blocks them (cached for one second)',
        response: { 200: consumerStatusViewSchema, ...problemResponses(...ADMIN_PROBLEMS) },
      },
    },
    async () => status(),
  );
  typed.get(
    '/status/events.asyncapi.json',
    {
      schema: {
        tags: ['admin'],
        summary: 'AsyncAPI 3 document of every event channel',
        response: {
          200: z.looseObject({ asyncapi: z.string() }),
          ...problemResponses(...ADMIN_PROBLEMS),
        },
      },
    },
    async () =>
      bus.catalog.asyncApi({ title: 'vsa-common API events', version: '0.1.0' }) as {
        asyncapi: string;
      },
  );
};
