import cors from '@fastify/cors';
import createError from '@fastify/error';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import helmet from 'helmet';
import type { AppInstance } from './app-instance.js';
import type { PlatformSettings } from './platform-settings.js';

/** What a 429 carries to the error handler: status, code, and the seconds to wait. */
const RateLimitedError = createError(
  'API_RATE_LIMITED',
  'Too many requests from this client; retry after %s seconds',
  429,
);

/** Answered while the process is overloaded (event-loop delay or heap over the limits). */
const OverloadedError = createError(
  'API_OVERLOADED',
  'The server is overloaded; retry after %s seconds',
  503,
);

/**
 * Security headers (helmet), CORS for the configured origins only, a rate limit per client
 * address and load shedding. Every refusal is an error that reaches the app's error handler,
 * so clients get problem+json with `Retry-After` like any other failure.
 */
export async function registerHttpHardening(
  app: AppInstance,
  settings: Pick<
    PlatformSettings,
    | 'CORS_ORIGINS'
    | 'RATE_LIMIT_MAX'
    | 'RATE_LIMIT_WINDOW_MS'
    | 'LOAD_MAX_EVENT_LOOP_DELAY_MS'
    | 'LOAD_MAX_HEAP_USED_BYTES'
  >,
): Promise<void> {
  // The docs page loads its own scripts and styles from /docs; the default CSP allows 'self'.
  // Helmet's headers do not depend on the request: computed once, set with one call per
  // request (@fastify/helmet rebuilds the helmet middleware, CSP parsing included, per request).
  const securityHeaders = helmetHeaders();
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(securityHeaders);
    done();
  });
  // No origins configured: the plugin is registered with origin false, so no CORS header is sent.
  await app.register(cors, {
    origin: settings.CORS_ORIGINS.length === 0 ? false : [...settings.CORS_ORIGINS],
  });
  if (settings.RATE_LIMIT_MAX > 0) {
    await app.register(rateLimit, {
      max: settings.RATE_LIMIT_MAX,
      timeWindow: settings.RATE_LIMIT_WINDOW_MS,
      // Probes must not be starved by a busy client, nor count against it.
      allowList: (request) => request.url.startsWith('/health/'),
      errorResponseBuilder: (_request, context) => {
        const seconds = Math.max(1, Math.ceil(context.ttl / 1000));
        return Object.assign(new RateLimitedError(seconds), { retryAfter: seconds });
      },
    });
  }
  const retryAfter = 10;
  await app.register(underPressure, {
    maxEventLoopDelay: settings.LOAD_MAX_EVENT_LOOP_DELAY_MS,
    maxHeapUsedBytes: settings.LOAD_MAX_HEAP_USED_BYTES,
    retryAfter,
    customError: class extends OverloadedError {
      readonly retryAfter = retryAfter;
      constructor() {
        super(retryAfter);
      }
    },
  });
}

/** The headers helmet's defaults set, captured once from its middleware. */
export function helmetHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet()(
    {} as Parameters<ReturnType<typeof helmet>>[0],
    response as unknown as Parameters<ReturnType<typeof helmet>>[1],
    (error?: unknown) => {
      failure = error;
    },
  );
  if (failure !== undefined) throw failure;
  return headers;
}
