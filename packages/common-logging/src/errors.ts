import { InvalidArgumentError, type VsaErrorOptions } from '@vsa/common-errors';

/** Error codes thrown by `@vsa/common-logging`. */
export type LoggingErrorCode = 'VSA_LOGGING_INVALID_ARGUMENT';

/** A logger was asked for with options it cannot honour; `message` says which and why. */
export class LoggingError extends InvalidArgumentError {
  /** Stable, machine-readable code. */
  declare readonly code: LoggingErrorCode;

  constructor(code: LoggingErrorCode, message: string, options?: VsaErrorOptions) {
    super(code, message, options);
  }
}
