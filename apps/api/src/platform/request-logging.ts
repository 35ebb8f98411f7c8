import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { AppInstance } from './app-instance.js';
import { PROBE_PREFIX } from './probes.js';

/**
 * Fastify's `childLoggerFactory` without the `reqId` binding: the request-context plugin puts
 * `requestId` and `correlationId` on every line of a request (the logger's context mixin), so
 * each id is logged once under one name.
 */
export const childLoggerWithoutReqId: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  _bindings,
  options,
) =>
  // Without a route log level or serializers, a child would be an exact copy: pino's child
  // costs an object and a bindings pass per request, so requests share the logger instead.
  options.level === undefined && options.serializers === undefined
    ? logger
    : logger.child({}, options);

/**
 * The request log lines, written from hooks that run inside the request's log context (so
 * they carry its ids), replacing Fastify's own (`new LogController({ disableRequestLogging: true })`), which are
 * written before any hook and would carry only `reqId`. Probes go at debug, the rest at info.
 * Register after the request-context plugin.
 */
export function registerRequestLogging(app: AppInstance): void {
  // Callback hooks, not async ones: Fastify awaits an async hook's promise on every request.
  app.addHook('onRequest', (request, _reply, done) => {
    request.log[levelFor(request)]({ req: request }, 'incoming request');
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log[levelFor(request)](
      { res: reply, responseTime: reply.elapsedTime },
      'request completed',
    );
    done();
  });
}

function levelFor(request: FastifyRequest): 'debug' | 'info' {
  return request.url.startsWith(PROBE_PREFIX) ? 'debug' : 'info';
}
