import type { EventBus } from '@vsa/common-events';
import type { FastifyPluginAsync } from 'fastify';

/**
 * `GET /status/consumers`: per consumer group and partition, lag in events and seconds,
 * dead-letter depth, leases, and the open transaction holding delivery back, if any.
 * `GET /status/events.asyncapi.json`: the AsyncAPI 3 document of every channel.
 */
export const statusRoutes: FastifyPluginAsync<{
  bus: Pick<EventBus, 'consumers' | 'catalog'>;
}> = async (app, { bus }) => {
  app.get('/consumers', async () => bus.consumers.status());
  app.get('/events.asyncapi.json', async () =>
    bus.catalog.asyncApi({ title: 'vsa-common API events', version: '0.1.0' }),
  );
};
