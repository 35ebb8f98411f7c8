export {
  ConflictError,
  ForbiddenError,
  GoneError,
  InternalError,
  InvalidArgumentError,
  InvalidInputError,
  NotFoundError,
  PreconditionFailedError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
  UnprocessableError,
} from './concepts.js';
export { ERROR_KINDS, type ErrorKind, HTTP_STATUS_BY_KIND } from './error-kind.js';
export {
  type OptionIssue,
  type ParseOptionsAt,
  parseOptions,
} from './parse-options.js';
export { isVsaError, VsaError, type VsaErrorInit, type VsaErrorOptions } from './vsa-error.js';
