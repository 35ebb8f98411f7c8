import createError, { type FastifyError, type FastifyErrorConstructor } from '@fastify/error';

/** The last constructor argument of every error of the family: the underlying cause. */
export interface ErrorCauseOptions {
  readonly cause: unknown;
}

/** Arguments of the family's constructors: a client-facing detail, optionally a cause. */
export type HttpErrorArgs = [detail: string, options?: ErrorCauseOptions];

/** `400 Bad Request`: the request is malformed in a way schema validation did not catch. */
export const BadRequestError: FastifyErrorConstructor<
  { code: 'VSA_HTTP_BAD_REQUEST'; statusCode: 400 },
  HttpErrorArgs
> = createError('VSA_HTTP_BAD_REQUEST', '%s', 400);

/** `401 Unauthorized`: no valid credentials. */
export const UnauthorizedError: FastifyErrorConstructor<
  { code: 'VSA_HTTP_UNAUTHORIZED'; statusCode: 401 },
  HttpErrorArgs
> = createError('VSA_HTTP_UNAUTHORIZED', '%s', 401);

/** `403 Forbidden`: authenticated, but not allowed to do this. */
export const ForbiddenError: FastifyErrorConstructor<
  { code: 'VSA_HTTP_FORBIDDEN'; statusCode: 403 },
  HttpErrorArgs
> = createError('VSA_HTTP_FORBIDDEN', '%s', 403);

/** `404 Not Found`: the addressed resource does not exist. */
export const NotFoundError: FastifyErrorConstructor<
  { code: 'VSA_HTTP_NOT_FOUND'; statusCode: 404 },
  HttpErrorArgs
> = createError('VSA_HTTP_NOT_FOUND', '%s', 404);

/** `409 Conflict`: the request conflicts with the current state (duplicate, stale version). */
export const ConflictError: FastifyErrorConstructor<
  { code: 'VSA_HTTP_CONFLICT'; statusCode: 409 },
  HttpErrorArgs
> = createError('VSA_HTTP_CONFLICT', '%s', 409);

/** `410 Gone`: the resource existed and was removed for good. */
export const GoneError: FastifyErrorConstructor<
  { code: 'VSA_HTTP_GONE'; statusCode: 410 },
  HttpErrorArgs
> = createError('VSA_HTTP_GONE', '%s', 410);

/** `412 Precondition Failed`: an `If-Match`-style precondition did not hold. */
export const PreconditionFailedError: FastifyErrorConstructor<
  { code: 'VSA_HTTP_PRECONDITION_FAILED'; statusCode: 412 },
  HttpErrorArgs
> = createError('VSA_HTTP_PRECONDITION_FAILED', '%s', 412);

/** `422 Unprocessable Entity`: well-formed input that breaks a business rule. */
export const UnprocessableEntityError: FastifyErrorConstructor<
  { code: 'VSA_HTTP_UNPROCESSABLE_ENTITY'; statusCode: 422 },
  HttpErrorArgs
> = createError('VSA_HTTP_UNPROCESSABLE_ENTITY', '%s', 422);

/** Options of the errors that tell the client when to retry. */
export interface RetryableErrorOptions {
  /** Seconds the client should wait; sent as `Retry-After`. */
  readonly retryAfter?: number;
  readonly cause?: unknown;
}

const TooManyRequestsBase: FastifyErrorConstructor<
  { code: 'VSA_HTTP_TOO_MANY_REQUESTS'; statusCode: 429 },
  HttpErrorArgs
> = createError('VSA_HTTP_TOO_MANY_REQUESTS', '%s', 429);

/**
 * `429 Too Many Requests`, answered with `Retry-After` when `retryAfter` is given.
 *
 * @example
 * throw new TooManyRequestsError('Slow down', { retryAfter: 30 });
 */
export class TooManyRequestsError extends TooManyRequestsBase {
  /** Seconds the client should wait before retrying. */
  readonly retryAfter: number | undefined;

  constructor(detail: string, options: RetryableErrorOptions = {}) {
    super(detail, ...causeArgs(options));
    this.retryAfter = options.retryAfter;
  }
}

const ServiceUnavailableBase: FastifyErrorConstructor<
  { code: 'VSA_HTTP_SERVICE_UNAVAILABLE'; statusCode: 503 },
  HttpErrorArgs
> = createError('VSA_HTTP_SERVICE_UNAVAILABLE', '%s', 503);

/**
 * `503 Service Unavailable`, answered with `Retry-After` and the code
 * `VSA_HTTP_SERVICE_UNAVAILABLE`. Like every server error, its `detail` reaches the client
 * only when the error handler's `exposeInternalErrors` is on (development, test); in
 * production the body carries a generic detail naming the request id.
 *
 * @example
 * throw new ServiceUnavailableError('Payments are paused for maintenance', { retryAfter: 120 });
 */
export class ServiceUnavailableError extends ServiceUnavailableBase {
  /** Seconds the client should wait before retrying. */
  readonly retryAfter: number | undefined;

  constructor(detail: string, options: RetryableErrorOptions = {}) {
    super(detail, ...causeArgs(options));
    this.retryAfter = options.retryAfter;
  }
}

// @fastify/error reads a trailing `{ cause }` argument only when the key is present.
function causeArgs(options: RetryableErrorOptions): [] | [ErrorCauseOptions] {
  return 'cause' in options ? [{ cause: options.cause }] : [];
}

/** Any error made by `@fastify/error` (Fastify's own `FST_ERR_*`, this family, slices' errors). */
export function isFastifyError(value: unknown): value is FastifyError {
  try {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[Symbol.for('fastify-error-generic')] === true
    );
  } catch {
    return false;
  }
}
