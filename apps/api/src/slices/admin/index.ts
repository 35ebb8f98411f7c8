import type { FastifyPluginAsync } from 'fastify';
import { adminTokenCheck } from './admin-token.js';
import { deadLettersRoutes } from './dead-letters-routes.js';
import type { AdminSliceOptions } from './deps.js';
import { eventsRoute } from './events-route.js';
import { groupsRoute } from './groups-route.js';
import { statusRoutes } from './status-routes.js';

export type { AdminSliceOptions } from './deps.js';

/**
 * Admin slice (operators): events by channel, consumer status, group replay, dead letters.
 * Every route sits behind `Authorization: Bearer <ADMIN_TOKEN>`, checked before the body is
 * read; a missing or wrong token is a 401 problem.
 */
export const adminSlice: FastifyPluginAsync<AdminSliceOptions> = async (app, { bus, token }) => {
  const check = adminTokenCheck(token);
  app.addHook('onRequest', async (request, reply) => {
    try {
      check(request.headers.authorization);
    } catch (error) {
      // RFC 9110 11.6.1: a 401 names the scheme the client must use.
      reply.header('www-authenticate', 'Bearer realm="admin"');
      throw error;
    }
  });
  const options = { bus, token };
  await app.register(statusRoutes, options);
  await app.register(eventsRoute, options);
  await app.register(groupsRoute, options);
  await app.register(deadLettersRoutes, options);
};
