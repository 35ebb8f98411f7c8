import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { InvalidMiddlewareOptionsError } from './options-error.js';

/**
 * What an inbound id must look like to be trusted: a short token that cannot inject log
 * fields, headers or markup. Anything else is replaced by a fresh UUID.
 */
export const SAFE_ID_PATTERN: RegExp = /^[A-Za-z0-9._:-]{1,128}$/;

/** `true` when `value` is a string an inbound header may contribute as an id. */
export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID_PATTERN.test(value);
}

/** Options of {@link createRequestIdGenerator}. */
export interface RequestIdGeneratorOptions {
  /** Header to read the caller's id from (lower case). Default `x-request-id`. */
  readonly header?: string;
  /** Makes a new id when the header is absent or unsafe. Default `crypto.randomUUID`. */
  readonly generate?: () => string;
}

/** Fastify's `genReqId` signature. */
export type RequestIdGenerator = (req: IncomingMessage) => string;

// Raw requests whose id came from one of our generators, so the request-context plugin can
// tell whether the app wired `genReqId` (and `request.log` carries the same id).
const generatedIds = new WeakMap<object, string>();

/** The id a generator of this package gave `raw`, if any. @internal */
export function idGeneratedFor(raw: object): string | undefined {
  return generatedIds.get(raw);
}

/**
 * Builds a Fastify `genReqId`: the caller's `x-request-id` when it is a safe token, else a
 * new UUID. Pass it to `fastify({ genReqId })` so `request.id`, the `reqId` of every log line
 * and the `x-request-id` response header are one value. Keep Fastify's `requestIdHeader`
 * off (its default): it trusts the header without validation.
 *
 * @example
 * const app = fastify({ genReqId: createRequestIdGenerator() });
 */
export function createRequestIdGenerator(
  options: RequestIdGeneratorOptions = {},
): RequestIdGenerator {
  const header = options.header ?? 'x-request-id';
  const generate = options.generate ?? randomUUID;
  if (typeof header !== 'string' || !/^[a-z0-9-]{1,64}$/.test(header)) {
    throw new InvalidMiddlewareOptionsError(
      'createRequestIdGenerator',
      `header must be a lower-case header name, got ${JSON.stringify(header)}`,
    );
  }
  if (typeof generate !== 'function') {
    throw new InvalidMiddlewareOptionsError(
      'createRequestIdGenerator',
      'generate must be a function returning a string',
    );
  }
  return (req) => {
    const inbound = req.headers[header];
    const id = isSafeId(inbound) ? inbound : generate();
    generatedIds.set(req, id);
    return id;
  };
}

/** `createRequestIdGenerator()` with defaults: ready to pass as `fastify({ genReqId })`. */
export const genReqId: RequestIdGenerator = createRequestIdGenerator();
