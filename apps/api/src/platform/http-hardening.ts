import cors from '@fastify/cors';
import createError from '@fastify/error';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { onRequestHookHandler } from 'fastify';
import helmet from 'helmet';
import { DOCS_PATH } from './api-docs.js';
import type { AppInstance } from './app-instance.js';
import { CONSOLE_PATH } from './console-static.js';
import type { PlatformSettings } from './platform-settings.js';
import { PROBE_PREFIX } from './probes.js';

/** What a 429 carries to the error handler: status, code, and the seconds to wait. */
const RateLimitedError = createError(
  'API_RATE_LIMITED',
  'Too many requests from this client; retry after %s seconds',
  429,
);

/** Paths (and everything below them) that serve HTML pages and their assets. */
const HTML_PATHS = [DOCS_PATH, CONSOLE_PATH];

/** Answered while the process is overloaded (event-loop delay or heap over the limits). */
const OverloadedError = createError(
  'API_OVERLOADED',
  'The server is overloaded; retry after %s seconds',
  503,
);

/**
 * Security headers (helmet's full set on the HTML routes, nosniff on the rest), CORS for the configured origins only, a rate limit per client
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
  // Helmet's browser headers (CSP, COOP, CORP, frame and referrer policies, …) govern how a
  // browser renders and embeds a document: they go on the HTML routes (the docs page, the
  // console and their assets) only. JSON answers get nosniff, which stops a browser from
  // reading a JSON body as a script or a page. Both sets are computed once (@fastify/helmet
  // rebuilds the helmet middleware, CSP parsing included, per request).
  const htmlHeaders = helmetHeaders();
  app.addHook('onRequest', (_request, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    done();
  });
  const setHtmlHeaders: onRequestHookHandler = (_request, reply, done) => {
    reply.headers(htmlHeaders);
    done();
  };
  app.addHook('onRoute', (route) => {
    // Probes are exempt from the rate limit by route, before its onRoute hook (registered
    // below) sees them: no limiter hook runs on them at all, rather than one per probe that
    // looks the client up only to let it through.
    if (route.url.startsWith(PROBE_PREFIX)) route.config = { ...route.config, rateLimit: false };
    if (!HTML_PATHS.some((path) => route.url === path || route.url.startsWith(`${path}/`))) return;
    const own = route.onRequest;
    route.onRequest = own === undefined ? [setHtmlHeaders] : [setHtmlHeaders, ...[own].flat()];
  });
  // No origins configured: no CORS plugin, so no CORS header, and no hook on every request
  // that would only find out that no origin is allowed.
  if (settings.CORS_ORIGINS.length > 0) {
    await app.register(cors, { origin: [...settings.CORS_ORIGINS] });
  }
  if (settings.RATE_LIMIT_MAX > 0) {
    await app.register(rateLimit, {
      max: settings.RATE_LIMIT_MAX,
      timeWindow: settings.RATE_LIMIT_WINDOW_MS,
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
