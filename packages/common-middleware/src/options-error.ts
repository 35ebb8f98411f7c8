import createError, { type FastifyErrorConstructor } from '@fastify/error';

/**
 * Thrown at registration when a plugin of this package gets options it cannot use.
 * The message names the option and what was wrong; fix the `app.register(...)` call.
 */
export const InvalidMiddlewareOptionsError: FastifyErrorConstructor<
  { code: 'VSA_MIDDLEWARE_INVALID_OPTIONS'; statusCode: 500 },
  [plugin: string, reason: string]
> = createError('VSA_MIDDLEWARE_INVALID_OPTIONS', 'Invalid options for %s: %s', 500);
