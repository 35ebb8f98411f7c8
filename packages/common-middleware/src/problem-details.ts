import { z } from 'zod';
import { InvalidMiddlewareOptionsError } from './options-error.js';

/** One failing input field of a validation problem. */
export interface ProblemFieldError {
  /** JSON pointer into the request: `/body/email`, `/querystring/limit`, `/params/id`. */
  readonly pointer: string;
  /** What is wrong with the value, in the validator's words. */
  readonly detail: string;
}

/**
 * The body of every error response (RFC 9457 `application/problem+json`), with the
 * extension members `code`, `requestId` and, for validation problems, `errors`.
 */
export interface ProblemDetails {
  /** URI naming the problem kind, built from `code`; `about:blank` when there is no code. */
  readonly type: string;
  /** The HTTP reason phrase of `status`. */
  readonly title: string;
  /** The HTTP status code, 400..599. */
  readonly status: number;
  /** Human-readable explanation of this occurrence; generic for server errors. */
  readonly detail: string;
  /** Path of the request that failed (no query string). */
  readonly instance: string;
  /** Stable machine-readable error code, when the error has one. */
  readonly code?: string;
  /** The request id, also sent in the `x-request-id` header and logged with the failure. */
  readonly requestId: string;
  /** Every failing field of a validation problem. */
  readonly errors?: readonly ProblemFieldError[];
}

/** The zod type of {@link problemDetailsSchema}. */
export type ProblemDetailsSchema = z.ZodObject<
  {
    type: z.ZodString;
    title: z.ZodString;
    status: z.ZodNumber;
    detail: z.ZodString;
    instance: z.ZodString;
    code: z.ZodOptional<z.ZodString>;
    requestId: z.ZodString;
    errors: z.ZodOptional<z.ZodArray<z.ZodObject<{ pointer: z.ZodString; detail: z.ZodString }>>>;
  },
  z.core.$loose
>;

/**
 * Zod schema of {@link ProblemDetails}, for route `response` schemas and OpenAPI documents
 * (through fastify-type-provider-zod), and for clients and tests that parse error bodies.
 */
// Loose: RFC 9457 lets a problem carry extension members, and clients must ignore unknown ones.
export const problemDetailsSchema: ProblemDetailsSchema = z
  .looseObject({
    type: z.string().meta({ description: 'URI naming the problem kind', example: 'about:blank' }),
    title: z.string().meta({ description: 'HTTP reason phrase', example: 'Not Found' }),
    status: z.number().int().min(400).max(599).meta({ description: 'HTTP status code' }),
    detail: z.string().meta({ description: 'Explanation of this occurrence' }),
    instance: z.string().meta({ description: 'Path of the failed request', example: '/orders/42' }),
    code: z.string().optional().meta({ description: 'Machine-readable error code' }),
    requestId: z.string().meta({ description: 'Request id, as in the x-request-id header' }),
    errors: z
      .array(
        z.object({
          pointer: z.string().meta({ description: 'JSON pointer', example: '/body/email' }),
          detail: z.string(),
        }),
      )
      .optional()
      .meta({ description: 'Every failing field of a validation problem' }),
  })
  .meta({ title: 'ProblemDetails', description: 'RFC 9457 problem details' });

/**
 * JSON Schema (draft 2020-12) of {@link ProblemDetails}, for routes that use JSON Schema
 * instead of zod, or for hand-written OpenAPI documents.
 */
export const problemDetailsJsonSchema: Readonly<Record<string, unknown>> = Object.freeze(
  omitKeys(z.toJSONSchema(problemDetailsSchema, { io: 'output' }), ['$schema', 'id']),
);

/**
 * Route `response` entries for the given error statuses, all answering
 * {@link problemDetailsSchema}, so the OpenAPI document lists them.
 *
 * @example
 * app.get('/orders/:id', {
 *   schema: { params, response: { 200: order, ...problemResponses(400, 404) } },
 * }, handler);
 */
export function problemResponses(
  ...statuses: readonly number[]
): Record<number, ProblemDetailsSchema> {
  const out: Record<number, ProblemDetailsSchema> = {};
  for (const status of statuses) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new InvalidMiddlewareOptionsError(
        'problemResponses(...statuses)',
        `${String(status)} is not an error status (an integer in 400..599)`,
      );
    }
    out[status] = problemDetailsSchema;
  }
  return out;
}

function omitKeys(
  value: Record<string, unknown>,
  keys: readonly string[],
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.includes(key)));
}
