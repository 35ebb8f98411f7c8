import { Writable } from 'node:stream';
import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import {
  type LoggerConfig,
  PRETTY_OPTIONS,
  pinoOptions,
  resolveCreateLoggerOptions,
} from './logger-options.js';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions extends LoggerConfig {
  /**
   * Where lines go; default stdout. Any `{ write(line) }` stream, e.g.
   * `pino.destination({ dest: '/var/log/api.log', sync: false })` or a test's capture stream.
   */
  readonly destination?: DestinationStream;
}

/**
 * Creates the application's pino logger: JSON lines (or pino-pretty when `pretty`), the
 * `withLogContext` fields on every line of it and of its children, secrets redacted, errors
 * serialized with their cause chain.
 *
 * @example
 * const logger = createLogger({ name: 'api', level: settings.LOG_LEVEL, pretty: settings.LOG_PRETTY });
 * const orders = logger.child({ slice: 'orders' });
 * await withLogContext({ requestId: 'r-1' }, async () => orders.info({ orderId }, 'order placed'));
 * // {"level":30,"time":…,"name":"api","slice":"orders","requestId":"r-1","orderId":"…","msg":"order placed"}
 * @throws {LoggingError} `VSA_LOGGING_INVALID_ARGUMENT` for bad options.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const { destination, ...config } = resolveCreateLoggerOptions(options);
  const { transport: _transport, ...base } = pinoOptions(config);
  if (config.pretty === true) {
    // In-process pino-pretty: synchronous, and it can write to any destination stream.
    const colorize = destination === undefined && process.stdout.isTTY === true;
    return pino(
      base,
      pretty({ ...PRETTY_OPTIONS, colorize, destination: asStream(destination), sync: true }),
    );
  }
  return destination === undefined ? pino(base) : pino(base, destination);
}

// pino-pretty pipes into its destination, so it needs a real stream (or an fd).
function asStream(destination: DestinationStream | undefined): Writable | number {
  if (destination === undefined) return 1;
  if (destination instanceof Writable) return destination;
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      destination.write(chunk.toString());
      done();
    },
  });
}
