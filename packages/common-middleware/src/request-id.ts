import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { parseMiddlewareOptions } from './option-keys.js';

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
  /**
   * Makes a new id when the header is absent or unsafe. Default `crypto.randomUUID`. Its
   * result must pass the same rule as an inbound id ({@link SAFE_ID_PATTERN}); when it does
   * not (or `generate` throws), the request gets a `crypto.randomUUID()` instead and the
   * generator emits one process warning `VSA_MIDDLEWARE_UNSAFE_GENERATED_ID`.
   */
  readonly generate?: () => string;
}

const HEADER_NAME_RULE = 'must be a lower-case header name (a-z, 0-9, -; at most 64)';

/** A lower-case HTTP header name option. @internal */
export const headerNameOption: z.ZodType<string, string> = z
  .string(HEADER_NAME_RULE)
  .regex(/^[a-z0-9-]{1,64}$/, HEADER_NAME_RULE);

const generatorOptionsSchema = z.strictObject({
  header: headerNameOption.default('x-request-id'),
  generate: z
    .custom<() => string>((v) => typeof v === 'function', 'must be a function returning a string')
    .default(() => randomUUID),
});

/** Code of the process warning a generator emits (once) when `generate()` misbehaves. */
export const UNSAFE_GENERATED_ID_WARNING = 'VSA_MIDDLEWARE_UNSAFE_GENERATED_ID';

/** Fastify's `genReqId` signature. */
export type RequestIdGenerator = (req: IncomingMessage) => string;

// The id one of our generators gave a raw request, so the request-context plugin can tell
// whether the app wired `genReqId` (and `request.log` carries the same id). A symbol-keyed
// field, not a WeakMap: a WeakMap entry per request made every garbage collection trace it
// as an ephemeron, ~1.5 µs of CPU per request (measured on the API's probe under autocannon).
const kGeneratedId = Symbol('vsa.generatedRequestId');

interface MarkedRequest {
  [kGeneratedId]?: string;
}

/** The id a generator of this package gave `raw`, if any. @internal */
export function idGeneratedFor(raw: object): string | undefined {
  return (raw as MarkedRequest)[kGeneratedId];
}

/**
 * Builds a Fastify `genReqId`: the caller's `x-request-id` when it is a safe token, else a
 * new id from `generate` (a UUID by default; an unsafe or failed result is replaced by a
 * UUID). Pass it to `fastify({ genReqId })` so `request.id`, the `reqId` of every log line
 * and the `x-request-id` response header are one value. Keep Fastify's `requestIdHeader`
 * off (its default): it trusts the header without validation.
 *
 * @example
 * const app = fastify({ genReqId: createRequestIdGenerator() });
 * @throws {InvalidMiddlewareOptionsError} for an unknown option key (the message lists the
 * allowed ones), a header that is not a lower-case header name, or a non-function `generate`.
 */
export function createRequestIdGenerator(
  options: RequestIdGeneratorOptions = {},
): RequestIdGenerator {
  const { header, generate } = parseMiddlewareOptions(
    generatorOptionsSchema,
    options,
    'createRequestIdGenerator(options)',
    { fastifyPlugin: false },
  );
  let warned = false;
  // Fastify calls genReqId outside any error handling: a throw here would crash the process,
  // and an unsafe id would reach headers and log lines. Fall back to a UUID and say so once.
  const checked = (): string => {
    let id: unknown;
    let problem: string;
    try {
      id = generate();
      if (isSafeId(id)) return id;
      problem = `returned ${preview(id)}, which is not a safe id (${SAFE_ID_PATTERN})`;
    } catch (error) {
      problem = `threw ${preview(error)}`;
    }
    if (!warned) {
      warned = true;
      process.emitWarning(
        `createRequestIdGenerator: generate() ${problem}; this and later such requests get crypto.randomUUID() instead. Make generate() return 1-128 characters of A-Z a-z 0-9 . _ : -`,
        { code: UNSAFE_GENERATED_ID_WARNING },
      );
    }
    return randomUUID();
  };
  // crypto.randomUUID's ids always pass the rule: the default needs no check.
  const fresh = generate === randomUUID ? randomUUID : checked;
  return (req) => {
    const inbound = req.headers[header];
    const id = isSafeId(inbound) ? inbound : fresh();
    (req as MarkedRequest)[kGeneratedId] = id;
    return id;
  };
}

function preview(value: unknown): string {
  let text: string;
  try {
    text =
      typeof value === 'string'
        ? JSON.stringify(value)
        : value instanceof Error
          ? `${value.name}: ${value.message}`
          : String(value);
  } catch {
    text = `[${typeof value}]`;
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** `createRequestIdGenerator()` with defaults: ready to pass as `fastify({ genReqId })`. */
export const genReqId: RequestIdGenerator = createRequestIdGenerator();
