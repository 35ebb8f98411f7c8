import { withLogContext } from '@vsa/common-logging';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { parseMiddlewareOptions } from './option-keys.js';
import { headerNameOption, idGeneratedFor, isSafeId } from './request-id.js';
import { captureRequestScope, runInRequestScope } from './request-scope.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Id shared by everything this request causes (events, downstream calls): the caller's
     * `x-correlation-id` when it is a safe token, else the request id. Set by
     * `requestContextPlugin`.
     */
    correlationId: string;
  }
}

/** Options of {@link requestContextPlugin}. */
export interface RequestContextOptions {
  /** Header carrying the request id, in and out (lower case). Default `x-request-id`. */
  readonly requestIdHeader?: string;
  /** Header carrying the correlation id, in and out (lower case). Default `x-correlation-id`. */
  readonly correlationIdHeader?: string;
}

const optionsSchema = z.strictObject({
  requestIdHeader: headerNameOption.default('x-request-id'),
  correlationIdHeader: headerNameOption.default('x-correlation-id'),
});

const plugin: FastifyPluginAsync<RequestContextOptions> = async (app, rawOptions) => {
  const { requestIdHeader, correlationIdHeader } = parseMiddlewareOptions(
    optionsSchema,
    rawOptions,
    'requestContextPlugin(options)',
    { fastifyPlugin: true },
  );

  let warnedAboutGenReqId = false;

  app.decorateRequest('correlationId', '');

  // One callback hook sets both ids (headers and log context) for the whole request; nothing
  // on the way out needs them again (Fastify keeps reply headers through the error handler).
  app.addHook('onRequest', (request, reply, done) => {
    const requestId = resolveRequestId(request);
    const inboundCorrelation = request.headers[correlationIdHeader];
    const correlationId = isSafeId(inboundCorrelation) ? inboundCorrelation : requestId;
    request.correlationId = correlationId;
    reply.header(requestIdHeader, requestId);
    reply.header(correlationIdHeader, correlationId);
    withLogContext({ requestId, correlationId }, () => {
      captureRequestScope(request);
      done();
    });
  });

  // Fastify 5 runs its content-type parsers in an AsyncResource, so the context survives body
  // parsing (tested over real HTTP). Re-entering here also covers preParsing hooks and
  // parsers that call back from another async context (stream libraries, native addons).
  app.addHook('preValidation', (request, _reply, done) => {
    runInRequestScope(request, done);
  });

  function resolveRequestId(request: FastifyRequest): string {
    // Our genReqId made request.id: it is already validated, and log lines carry it as reqId.
    if (idGeneratedFor(request.raw) === request.id) return request.id;
    const inbound = request.headers[requestIdHeader];
    if (isSafeId(inbound) && inbound !== request.id && !warnedAboutGenReqId) {
      warnedAboutGenReqId = true;
      request.log.warn(
        { requestIdHeader },
        'request id header ignored: pass genReqId from @vsa/common-middleware to fastify() so request.id and reqId follow it',
      );
    }
    // A custom genReqId may produce anything; keep only what is safe in a header.
    const own = String(request.id)
      .replace(/[^A-Za-z0-9._:-]/g, '')
      .slice(0, 128);
    return own === '' ? 'unknown' : own;
  }
};

/**
 * Request context for every route of the app: the request id (from `genReqId`, see
 * {@link createRequestIdGenerator}) and a correlation id go into `x-request-id` /
 * `x-correlation-id` response headers and into @vsa/common-logging's context for the whole
 * request, so every log line and every event published while handling it carries them.
 *
 * @example
 * const app = fastify({ genReqId, logger: loggerOptions });
 * await app.register(requestContextPlugin);
 */
export const requestContextPlugin: FastifyPluginAsync<RequestContextOptions> = fp(plugin, {
  name: '@vsa/common-middleware/request-context',
  fastify: '5.x',
});
