import { VsaError, type VsaErrorOptions } from './vsa-error.js';

// One class per kind: packages subclass these (or throw them with their own code), so
// `instanceof NotFoundError` holds whichever package raised it.

/** The calling code passed an argument or option it must not: a bug to fix in the caller (HTTP 500). */
export class InvalidArgumentError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'invalid_argument', message });
  }
}

/** A client's data is invalid: the request must change (HTTP 400). */
export class InvalidInputError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'invalid_input', message });
  }
}

/** No valid credentials were presented (HTTP 401). */
export class UnauthenticatedError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'unauthenticated', message });
  }
}

/** Authenticated, but not allowed to do this (HTTP 403). */
export class ForbiddenError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'forbidden', message });
  }
}

/** The addressed thing does not exist (HTTP 404). */
export class NotFoundError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'not_found', message });
  }
}

/** The request conflicts with the current state: a duplicate, a stale version, another configuration (HTTP 409). */
export class ConflictError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'conflict', message });
  }
}

/** The thing existed and was removed for good (HTTP 410). */
export class GoneError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'gone', message });
  }
}

/** A precondition of the request did not hold (HTTP 412). */
export class PreconditionFailedError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'precondition_failed', message });
  }
}

/** Well-formed input that breaks a rule (HTTP 422). */
export class UnprocessableError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'unprocessable', message });
  }
}

/** Too many requests: wait `retryAfterSeconds`, then retry (HTTP 429). */
export class RateLimitedError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'rate_limited', message });
  }
}

/** A dependency is down, overloaded or timed out, or the process is shutting down: retry later (HTTP 503). */
export class UnavailableError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'unavailable', message });
  }
}

/** Something went wrong inside that the caller cannot fix (HTTP 500). */
export class InternalError extends VsaError {
  constructor(code: string, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind: 'internal', message });
  }
}
