import { isPlain } from './scrub.js';
import { scrubUrls } from './scrub-url.js';

/** A request as it appears under `req` in a log line: Fastify's default fields (undefined ones are left out). */
export interface SerializedRequest {
  method: string | undefined;
  /** The URL, sensitive query parameters hidden: `/cb?code=***&state=1`. */
  url: string | undefined;
  /** The `accept-version` header (Fastify's route versioning). */
  version: string | undefined;
  host: string | undefined;
  remoteAddress: string | undefined;
  remotePort?: number;
}

interface RequestLike {
  method?: unknown;
  url?: unknown;
  headers?: Record<string, unknown>;
  host?: unknown;
  ip?: unknown;
  socket?: { remotePort?: unknown; remoteAddress?: unknown } | null;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/**
 * The `req` serializer: the fields Fastify's default one writes on "incoming request" lines
 * (`method`, `url`, `version`, `host`, `remoteAddress`, `remotePort`), with the URL passed
 * through `scrubUrlCredentials`, so `/nope?access_token=abc` is logged as
 * `/nope?access_token=***`. Works on a Fastify request and on a Node `IncomingMessage`
 * (host and address then come from the `host` header and the socket). A plain object was
 * already scrubbed with the other fields and is kept as it is.
 */
export function serializeRequest(req: unknown): unknown {
  if (typeof req !== 'object' || req === null || isPlain(req)) return req;
  const request = req as RequestLike;
  const url = text(request.url);
  const out: SerializedRequest = {
    method: text(request.method),
    url: url === undefined ? undefined : scrubUrls(url),
    version: text(request.headers?.['accept-version']),
    host: text(request.host) ?? text(request.headers?.host),
    remoteAddress: text(request.ip) ?? text(request.socket?.remoteAddress),
  };
  const port = request.socket?.remotePort;
  if (typeof port === 'number') out.remotePort = port;
  return out;
}
