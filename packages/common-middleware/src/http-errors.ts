import {
  ConflictError as ConflictConcept,
  ForbiddenError as ForbiddenConcept,
  GoneError as GoneConcept,
  InvalidInputError,
  NotFoundError as NotFoundConcept,
  PreconditionFailedError as PreconditionFailedConcept,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
  UnprocessableError,
  type VsaErrorOptions,
} from '@vsa/common-errors';
import type { FastifyError } from 'fastify';

// The HTTP family: the concept classes of @vsa/common-errors with an HTTP code each, so
// `instanceof NotFoundError` (of @vsa/common-errors) holds for this package's NotFoundError
// too, and the status comes from the one kind-to-HTTP mapping.

/** `400 Bad Request` (kind `invalid_input`): the request is malformed beyond schema validation. */
export class BadRequestError extends InvalidInputError {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_BAD_REQUEST', detail, options);
  }
}

/** `401 Unauthorized` (kind `unauthenticated`): no valid credentials. */
export class UnauthorizedError extends UnauthenticatedError {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_UNAUTHORIZED', detail, options);
  }
}

/** `403 Forbidden`: authenticated, but not allowed to do this. */
export class ForbiddenError extends ForbiddenConcept {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_FORBIDDEN', detail, options);
  }
}

/** `404 Not Found`: the addressed resource does not exist. */
export class NotFoundError extends NotFoundConcept {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_NOT_FOUND', detail, options);
  }
}

/** `409 Conflict`: the request conflicts with the current state (duplicate, stale version). */
export class ConflictError extends ConflictConcept {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_CONFLICT', detail, options);
  }
}

/** `410 Gone`: the resource existed and was removed for good. */
export class GoneError extends GoneConcept {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_GONE', detail, options);
  }
}

/** `412 Precondition Failed`: an `If-Match`-style precondition did not hold. */
export class PreconditionFailedError extends PreconditionFailedConcept {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_PRECONDITION_FAILED', detail, options);
  }
}

/** `422 Unprocessable Entity` (kind `unprocessable`): well-formed input that breaks a rule. */
export class UnprocessableEntityError extends UnprocessableError {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_UNPROCESSABLE_ENTITY', detail, options);
  }
}

/**
 * `429 Too Many Requests` (kind `rate_limited`), answered with `Retry-After` when
 * `retryAfterSeconds` is given.
 *
 * @example
 * throw new TooManyRequestsError('Slow down', { retryAfterSeconds: 30 });
 */
export class TooManyRequestsError extends RateLimitedError {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_TOO_MANY_REQUESTS', detail, options);
  }
}

/**
 * `503 Service Unavailable` (kind `unavailable`), answered with `Retry-After`. Like every
 * server error, its `detail` reaches the client only when the error handler's
 * `exposeInternalErrors` is on; otherwise the body carries a generic detail naming the
 * request id.
 *
 * @example
 * throw new ServiceUnavailableError('Payments are paused', { retryAfterSeconds: 120 });
 */
export class ServiceUnavailableError extends UnavailableError {
  constructor(detail: string, options?: VsaErrorOptions) {
    super('VSA_HTTP_SERVICE_UNAVAILABLE', detail, options);
  }
}

/** Any error made by `@fastify/error` (Fastify's own `FST_ERR_*`, slices' `createError` errors). */
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
