import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { createMethodIndex } from './method-index.js';
import { parseMiddlewareOptions } from './option-keys.js';
import { createOutageLog, type OutageLog, type OutageSummary } from './outage-log.js';
import { runInRequestScope } from './request-scope.js';
import { type ProblemSettings, type ResolvedProblem, toProblem } from './to-problem.js';

/** Options of {@link errorHandlerPlugin}. */
export interface ErrorHandlerOptions {
  /**
   * Absolute URI the problem `type` is built on: `<typeBaseUrl><code-in-kebab-case>`.
   * Default `https://vsa.dev/problems/`.
   */
  readonly typeBaseUrl?: string;
  /**
   * Send server errors' (5xx) messages to clients (never their stack or cause). Default:
   * `true` only when `NODE_ENV` is `development` or `test`, so `production`, an unset
   * `NODE_ENV` or any other value hides them. When off, no 5xx message reaches a body, not
   * even one whose error sets `expose: true`.
   */
  readonly exposeInternalErrors?: boolean;
  /** Longest `detail` sent; longer messages are cut. Default 1000 characters. */
  readonly maxDetailLength?: number;
  /** `Retry-After` seconds for a 503 whose error names none. Default 1. */
  readonly retryAfterSeconds?: number;
  /** Answer 405 with `Allow` for a known path with another method (else 404). Default true. */
  readonly methodNotAllowed?: boolean;
}

const intIn = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return z.int(message).min(min, message).max(max, message);
};

// Parsed once at registration; the defaults live here (NODE_ENV is read when registering).
const optionsSchema = z.strictObject({
  typeBaseUrl: z
    .url('must be an absolute URL')
    .refine((url) => url.endsWith('/') || url.endsWith('#'), 'must end with "/" or "#"')
    .default('https://vsa.dev/problems/'),
  exposeInternalErrors: z
    .boolean('must be true or false')
    .default(() => process.env.NODE_ENV === 'development' || process.env.NODE_ENV === 'test'),
  maxDetailLength: intIn(16, 100_000).default(1000),
  retryAfterSeconds: intIn(0, 86_400).default(1),
  methodNotAllowed: z.boolean('must be true or false').default(true),
});

const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

const plugin: FastifyPluginAsync<ErrorHandlerOptions> = async (app, rawOptions) => {
  const options = parseMiddlewareOptions(optionsSchema, rawOptions, 'errorHandlerPlugin(options)', {
    fastifyPlugin: true,
  });
  const settings: ProblemSettings = {
    typeBaseUrl: options.typeBaseUrl,
    exposeInternalErrors: options.exposeInternalErrors,
    maxDetailLength: options.maxDetailLength,
    retryAfterSeconds: options.retryAfterSeconds,
  };

  const config = app.initialConfig;
  const methodIndex =
    options.methodNotAllowed === false
      ? undefined
      : createMethodIndex({
          // Fastify 5 takes these either top level (deprecated) or under routerOptions.
          ignoreTrailingSlash:
            config.routerOptions?.ignoreTrailingSlash ?? config.ignoreTrailingSlash,
          ignoreDuplicateSlashes:
            config.routerOptions?.ignoreDuplicateSlashes ?? config.ignoreDuplicateSlashes,
          caseSensitive: config.routerOptions?.caseSensitive ?? config.caseSensitive,
          maxParamLength: config.routerOptions?.maxParamLength ?? config.maxParamLength,
        });
  // Sees every route registered after this plugin, in every encapsulated child.
  if (methodIndex !== undefined) {
    app.addHook('onRoute', (route) => methodIndex.add(route.method, route.url));
  }

  const outage = createOutageLog();
  // A callback hook: an async one costs a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    try {
      if (reply.statusCode < 500) {
        const ended = outage.onSuccess();
        if (ended !== undefined) logOutageEnd(request, ended);
      }
    } finally {
      done();
    }
  });

  app.setErrorHandler((error: unknown, request, reply) => {
    const problem = safeProblem(error, request, reply);
    return sendProblem(request, reply, problem, outage);
  });

  app.setNotFoundHandler((request, reply) => {
    const allowed = methodIndex?.allowed(request.url) ?? [];
    const base = { id: String(request.id), url: request.url };
    const problem =
      allowed.length > 0
        ? withHeader(
            toProblem(
              {
                code: 'VSA_HTTP_METHOD_NOT_ALLOWED',
                statusCode: 405,
                message: `${request.method} is not allowed here; use ${allowed.join(', ')}`,
              },
              base,
              settings,
            ),
            'allow',
            allowed.join(', '),
          )
        : toProblem(
            {
              code: 'VSA_HTTP_ROUTE_NOT_FOUND',
              statusCode: 404,
              message: `No route for ${request.method} ${base.url.split('?', 1)[0]}`,
            },
            base,
            settings,
          );
    return sendProblem(request, reply, problem, outage);
  });

  function safeProblem(
    error: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): ResolvedProblem {
    try {
      return toProblem(
        error,
        { id: String(request.id), url: request.url, replyStatus: reply.statusCode },
        settings,
      );
    } catch (mappingError) {
      // toProblem guards every read; this is the last line so Fastify's fallback (which
      // sends error.message) can never run.
      return toProblem(
        mappingError,
        { id: String(request.id), url: request.url },
        {
          ...settings,
          exposeInternalErrors: false,
        },
      );
    }
  }
};

function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: ResolvedProblem,
  outage: OutageLog,
): FastifyReply {
  runInRequestScope(request, () => {
    if (problem.status !== 503) return logProblem(request, problem);
    // An outage answers thousands of 503s: log its start in full, count the rest.
    const decision = outage.on503(String(problem.logSummary.code ?? 'unknown'));
    if (decision.kind === 'counted') return;
    if (decision.ended !== undefined) logOutageEnd(request, decision.ended);
    logProblem(request, problem, ' (outage started: further 503s with this code are counted)');
  });
  // A string payload skips response serializers: a route's schema cannot reshape the problem.
  return reply
    .code(problem.status)
    .headers(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(JSON.stringify(problem.body));
}

function logOutageEnd(request: FastifyRequest, ended: OutageSummary): void {
  request.log.warn(
    { outage: ended },
    `outage over: ${ended.answered503} requests answered 503 (${ended.code}) in ${ended.durationMs} ms`,
  );
}

function logProblem(request: FastifyRequest, problem: ResolvedProblem, suffix = ''): void {
  const message = `request failed: ${problem.status} ${problem.body.title}${suffix}`;
  const fields =
    problem.logErr === undefined
      ? { problem: problem.logSummary }
      : { err: problem.logErr, problem: problem.logSummary };
  try {
    request.log[problem.logLevel](fields, message);
  } catch {
    // A thrown value pino cannot serialize (hostile getters, proxies): log what is safe.
    request.log[problem.logLevel]({ problem: { status: problem.status } }, message);
  }
}

function withHeader(problem: ResolvedProblem, name: string, value: string): ResolvedProblem {
  return { ...problem, headers: { ...problem.headers, [name]: value } };
}

/**
 * One error contract for the whole app: a `setErrorHandler` and a `setNotFoundHandler`
 * answering every failure as RFC 9457 `application/problem+json`, logging 4xx at info
 * (429 at warn) without stack and 5xx at error with the full error. Register it on the root
 * instance before any route, so it sees every route (for 405) and covers every child.
 *
 * @example
 * await app.register(errorHandlerPlugin, { typeBaseUrl: 'https://errors.example.com/' });
 */
export const errorHandlerPlugin: FastifyPluginAsync<ErrorHandlerOptions> = fp(plugin, {
  name: '@vsa/common-middleware/errors',
  fastify: '5.x',
});
