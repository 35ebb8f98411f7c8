import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { cachedConsumerStatus, consumerStatusViewSchema } from './consumer-status.js';
import type { AdminSliceOptions } from './deps.js';
import { createLagHistory } from './lag-history.js';

const ADMIN_PROBLEMS = [401, 500, 503] as const;

/**
 * `GET /status/consumers`: per consumer group and partition, lag in events and seconds,
 * dead-letter depth, blocks, and the age of the open transactions holding delivery back.
 * `GET /status/lag-history`: each group's lag over the last minutes (from those status reads).
 * `GET /status/events.asyncapi.json`: the AsyncAPI 3 document of every channel.
 */
export const statusRoutes: FastifyPluginAsync<AdminSliceOptions> = async (app, { bus }) => {
  const status = cachedConsumerStatus(bus);
  const history = createLagHistory();
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
    async () => {
      const view = await status();
      history.record(view, Date.now());
      return view;
    },
  );
  typed.get(
    '/status/lag-history',
    {
      schema: {
        tags: ['admin'],
        summary: "Each consumer group's lag over the last ten minutes (no database read)",
        response: {
          200: z.object({
            bucketSeconds: z.number(),
            groups: z.record(
              z.string().meta({ description: 'group/channel' }),
              z.array(
                z.object({ at: z.iso.datetime(), lagEvents: z.int(), lagSeconds: z.number() }),
              ),
            ),
          }),
          ...problemResponses(...ADMIN_PROBLEMS),
        },
      },
    },
    async () => ({
      bucketSeconds: history.bucketMs / 1000,
      groups: Object.fromEntries(
        Object.entries(history.series()).map(([id, samples]) => [
          id,
          samples.map((s) => ({ ...s, at: new Date(s.at).toISOString() })),
        ]),
      ),
    }),
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
