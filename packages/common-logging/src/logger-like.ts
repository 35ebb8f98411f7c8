/** One pino-style log method: `(obj, msg?)` or `(msg)`. */
export interface LogMethod {
  (obj: object, msg?: string, ...args: unknown[]): void;
  (msg: string, ...args: unknown[]): void;
}

/**
 * The logger a library should accept as a parameter: satisfied by a pino `Logger`, by
 * Fastify's `app.log` / `request.log`, and by their children.
 */
export interface LoggerLike {
  level: string;
  fatal: LogMethod;
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
  trace: LogMethod;
  child(bindings: Record<string, unknown>): LoggerLike;
}
