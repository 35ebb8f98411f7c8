/** Error codes thrown by `@vsa/common-logging`. */
export type LoggingErrorCode = 'VSA_LOGGING_INVALID_ARGUMENT';

/** A logger was asked for with options it cannot honour; `message` says which and why. */
export class LoggingError extends Error {
  /** Stable, machine-readable code. */
  readonly code: LoggingErrorCode;

  constructor(code: LoggingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LoggingError';
    this.code = code;
  }
}
