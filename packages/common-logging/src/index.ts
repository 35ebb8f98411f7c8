export type { Logger } from 'pino';
export { type CreateLoggerOptions, createLogger } from './create-logger.js';
export { LoggingError, type LoggingErrorCode } from './errors.js';
export { bindLogContext, getLogContext, type LogContext, withLogContext } from './log-context.js';
export type { LoggerLike } from './logger-like.js';
export { DEFAULT_REDACT_PATHS, type LoggerConfig, loggerOptions } from './logger-options.js';
export { loggingSettings } from './logging-settings.js';
export { CENSOR, DEFAULT_REDACT_KEYS, scrubUrlCredentials } from './scrub.js';
export { createErrorSerializer, type SerializedError } from './serialize-error.js';
