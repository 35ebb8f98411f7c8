import { type ErrorKind, HTTP_STATUS_BY_KIND } from './error-kind.js';

/** What an error carries besides its code, kind and message. */
export interface VsaErrorOptions {
  /** The underlying error, kept for logs (never sent to clients). */
  readonly cause?: unknown;
  /** Structured facts about the failure (ids, names, limits), safe to log and to show. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Seconds a caller should wait before retrying (`unavailable`, `rate_limited`). */
  readonly retryAfterSeconds?: number;
}

/** Everything a {@link VsaError} is made of. */
export interface VsaErrorInit extends VsaErrorOptions {
  /** Stable machine-readable code: `VSA_<PACKAGE>_<WHAT>` in packages, `<SLICE>_<WHAT>` in apps. */
  readonly code: string;
  readonly kind: ErrorKind;
  /** What went wrong and what to do about it. */
  readonly message: string;
}

/**
 * Base of every error the vsa-common packages throw: a stable `code`, a `kind` that decides
 * the HTTP `statusCode`, a message that says what to do, the `cause`, and optional `details`.
 * Throw one of the concept classes (`NotFoundError`, `ConflictError`, …) or a subclass of one.
 *
 * @example
 * class OrderNotFoundError extends NotFoundError {
 *   constructor(id: string) {
 *     super('ORDERS_NOT_FOUND', `Order ${id} does not exist; check the id`, { details: { id } });
 *   }
 * }
 */
export class VsaError extends Error {
  /** Stable machine-readable code. */
  readonly code: string;
  /** What kind of failure this is. */
  readonly kind: ErrorKind;
  /** HTTP status for this error: `HTTP_STATUS_BY_KIND[kind]`. */
  readonly statusCode: number;
  /** Structured facts about the failure, when there are any. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Seconds to wait before retrying, when known. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: VsaErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.kind = init.kind;
    this.statusCode = HTTP_STATUS_BY_KIND[init.kind];
    this.details = init.details === undefined ? undefined : Object.freeze({ ...init.details });
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

/** Whether `value` is a {@link VsaError} (also across copies of this package). */
export function isVsaError(value: unknown): value is VsaError {
  if (value instanceof VsaError) return true;
  if (!(value instanceof Error)) return false;
  const candidate = value as Partial<VsaError>;
  return (
    typeof candidate.code === 'string' &&
    typeof candidate.kind === 'string' &&
    Object.hasOwn(HTTP_STATUS_BY_KIND, candidate.kind) &&
    typeof candidate.statusCode === 'number'
  );
}
