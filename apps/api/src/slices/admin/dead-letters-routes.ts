import type { DeadLetter } from '@vsa/common-events/admin';
import { problemResponses } from '@vsa/common-middleware';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AdminSliceOptions } from './deps.js';
import { eventsBySeq } from './recent-events.js';
import { sharedCache } from './shared-cache.js';

const nameSchema = z.string().regex(/^[a-z][a-z0-9._-]{0,62}$/);

const deadLetterSchema = z.object({
  id: z.int(),
  group: z.string(),
  channel: z.string(),
  partition: z.int(),
  seq: z.number(),
  eventId: z.string(),
  attempts: z.int(),
  error: z.object({ name: z.string(), message: z.string(), code: z.string().optional() }),
  status: z.enum(['dead', 'redriving', 'redriven', 'discarded']),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  event: z
    .object({ type: z.string(), key: z.string().nullable(), payload: z.unknown() })
    .nullable()
    .meta({ description: 'The event that failed (null once pruned)' }),
});

type DeadLetterView = z.output<typeof deadLetterSchema>;

/** A dead letter without the stack of its last error (file paths of the host stay out). */
function deadLetterView(letter: DeadLetter, event: DeadLetterView['event']): DeadLetterView {
  const { name, message, code } = letter.error;
  return {
    id: letter.id,
    group: letter.group,
    channel: letter.channel,
    partition: letter.partition,
    seq: letter.seq,
    eventId: letter.eventId,
    attempts: letter.attempts,
    error: {
      name: String(name ?? 'Error'),
      message: String(message ?? ''),
      ...(typeof code === 'string' ? { code } : {}),
    },
    status: letter.status,
    createdAt: letter.createdAt.toISOString(),
    updatedAt: letter.updatedAt.toISOString(),
    event,
  };
}

/**
 * `GET /dead-letters?group=&channel=&status=&afterId=&limit=` lists dead letters with the
 * failed event (a page is read at most once a second, however many tabs poll it);
 * `POST /dead-letters/redrive` retries the chosen ones (ids, or every dead one of a group).
 */
export const deadLettersRoutes: FastifyPluginAsync<AdminSliceOptions> = async (app, { bus }) => {
  const typed = app.withTypeProvider<ZodTypeProvider>();
  const pages = sharedCache<DeadLetterView[]>(1000);
  typed.get(
    '/dead-letters',
    {
      schema: {
        tags: ['admin'],
        summary: 'List dead letters, oldest first',
        querystring: z.object({
          group: nameSchema.optional(),
          channel: nameSchema.optional(),
          status: z.enum(['dead', 'redriving', 'redriven', 'discarded']).default('dead'),
          afterId: z.coerce.number().int().nonnegative().optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ deadLetters: z.array(deadLetterSchema) }),
          ...problemResponses(400, 401, 500, 503),
        },
      },
    },
    async (request) => {
      const { group, channel, status, afterId, limit } = request.query;
      const key = JSON.stringify([group, channel, status, afterId, limit]);
      const deadLetters = await pages.get(key, async () => {
        const letters = await bus.consumers.listDeadLetters({
          status,
          limit,
          ...(group === undefined ? {} : { group }),
          ...(channel === undefined ? {} : { channel }),
          ...(afterId === undefined ? {} : { afterId }),
        });
        const events = await eventsBySeq(
          bus,
          letters.map((letter) => letter.seq),
        );
        return letters.map((letter) => {
          const event = events.get(letter.seq);
          return deadLetterView(
            letter,
            event === undefined
              ? null
              : { type: event.type, key: event.key, payload: event.payload },
          );
        });
      });
      return { deadLetters };
    },
  );
  typed.post(
    '/dead-letters/redrive',
    {
      schema: {
        tags: ['admin'],
        summary: 'Retry (redrive) dead letters',
        body: z.union([
          z.strictObject({ ids: z.array(z.int().positive()).min(1).max(10_000) }),
          z.strictObject({ group: nameSchema, channel: nameSchema.optional() }),
        ]),
        response: {
          200: z.object({ redriven: z.int() }),
          ...problemResponses(400, 401, 409, 500, 503),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const selection =
        'ids' in body
          ? { ids: body.ids }
          : { group: body.group, ...(body.channel === undefined ? {} : { channel: body.channel }) };
      const redriven = await bus.consumers.redriveDeadLetters(selection);
      // The next list shows the change at once, not a second later.
      pages.clear();
      request.log.warn({ selection, redriven }, 'dead letters redriven');
      return { redriven };
    },
  );
};
