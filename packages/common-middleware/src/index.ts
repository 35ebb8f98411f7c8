export { type ErrorHandlerOptions, errorHandlerPlugin } from './error-handler-plugin.js';
export {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  GoneError,
  isFastifyError,
  NotFoundError,
  PreconditionFailedError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableEntityError,
} from './http-errors.js';
export { InvalidMiddlewareOptionsError } from './options-error.js';
export {
  type ProblemDetails,
  type ProblemDetailsSchema,
  type ProblemFieldError,
  problemDetailsJsonSchema,
  problemDetailsSchema,
  problemResponses,
} from './problem-details.js';
export { type RequestContextOptions, requestContextPlugin } from './request-context-plugin.js';
export {
  createRequestIdGenerator,
  genReqId,
  isSafeId,
  type RequestIdGenerator,
  type RequestIdGeneratorOptions,
  SAFE_ID_PATTERN,
  UNSAFE_GENERATED_ID_WARNING,
} from './request-id.js';
