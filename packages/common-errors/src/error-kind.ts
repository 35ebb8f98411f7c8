/**
 * What kind of failure an error is. Every error of the vsa-common packages has one, and its
 * HTTP status follows from it through {@link HTTP_STATUS_BY_KIND}, the only such mapping.
 */
export type ErrorKind =
  /** The calling code passed something it must not (a bug in the caller, not the client). */
  | 'invalid_argument'
  /** A client's data is wrong: fix the request. */
  | 'invalid_input'
  /** No valid credentials. */
  | 'unauthenticated'
  /** Authenticated, but not allowed. */
  | 'forbidden'
  /** The addressed thing does not exist. */
  | 'not_found'
  /** The request conflicts with the current state (duplicate, stale version, other config). */
  | 'conflict'
  /** The thing existed and was removed for good. */
  | 'gone'
  /** A precondition of the request did not hold. */
  | 'precondition_failed'
  /** Well-formed input that breaks a rule. */
  | 'unprocessable'
  /** Too many requests: wait, then retry. */
  | 'rate_limited'
  /** A dependency is down, overloaded or timed out, or the process is shutting down: retry later. */
  | 'unavailable'
  /** Anything else that went wrong inside. */
  | 'internal';

/** The HTTP status of each {@link ErrorKind}: the one place a status is decided. */
export const HTTP_STATUS_BY_KIND: Readonly<Record<ErrorKind, number>> = Object.freeze({
  invalid_argument: 500,
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  precondition_failed: 412,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
});

/** Every {@link ErrorKind}, in the order of {@link HTTP_STATUS_BY_KIND}. */
export const ERROR_KINDS: readonly ErrorKind[] = Object.freeze(
  Object.keys(HTTP_STATUS_BY_KIND) as ErrorKind[],
);
