import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, parseOptions } from '@vsa/common-errors';
import { type DestinationStream, type LevelWithSilent, type LoggerOptions, symbols } from 'pino';
import { z } from 'zod';
import { LoggingError } from './errors.js';
import { getLogScope, type LogScope } from './log-context.js';
import { scrubFields, scrubValue } from './scrub.js';
import { scrubUrls } from './scrub-url.js';
import { sensitiveKeys } from './sensitive-keys.js';
import { errorSerializer } from './serialize-error.js';
import { serializeRequest } from './serialize-request.js';
import { traceFields } from './trace-fields.js';

/** The settings every logger of this package understands. */
export interface LoggerConfig {
  /** Logger name, written as `name` on every line (e.g. the service name). */
  readonly name?: string;
  /** Lowest level written; default `info`. */
  readonly level?: LevelWithSilent;
  /** Human-readable output through pino-pretty (development on a TTY); default false: JSON lines. */
  readonly pretty?: boolean;
  /** Extra pino redact paths (`'req.body.card'`, `'payload.ssn'`); censored as `[Redacted]`. */
  readonly redact?: readonly string[];
  /**
   * Extra key names censored at any depth of logged plain objects, each as a whole name in
   * any spelling (`'iban'` censors `iban`, `IBAN`, `Iban`, not `bankIban`). The defaults
   * (`DEFAULT_REDACT_KEYS`) match by the end of the name and need not be repeated.
   */
  readonly redactKeys?: readonly string[];
  /** Extra fields on every line, e.g. `{ service: 'api', version: '1.4.0' }`. */
  readonly base?: Readonly<Record<string, unknown>>;
}

/**
 * Header paths pino redacts after the `req`/`res` serializers ran (Fastify's default
 * serializers drop headers, custom ones often keep them). Literal paths only: a leading
 * wildcard (`*.password`) makes pino re-serialize every field and cost ~8x throughput,
 * so nested keys are handled by the key scrubber instead.
 */
export const DEFAULT_REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["set-cookie"]',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'res.headers.authorization',
];

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const nonEmptyStrings = z.array(z.string().min(1, 'must not be empty'), {
  error: 'must be an array of non-empty strings',
});

// The schema of LoggerConfig: a strict object, so a misspelt option is refused.
const loggerConfigSchema = z.strictObject({
  name: z.string().optional(),
  level: z.enum(LEVELS, { error: `level must be one of ${LEVELS.join(', ')}` }).optional(),
  pretty: z
    .boolean({ error: 'must be a boolean (parse "false" with loggingSettings\' LOG_PRETTY)' })
    .optional(),
  redact: nonEmptyStrings.optional(),
  redactKeys: nonEmptyStrings.optional(),
  base: z
    .record(z.string(), z.unknown(), {
      error: "must be an object of fields, e.g. { service: 'api' }",
    })
    .optional(),
});

const createLoggerSchema = loggerConfigSchema.extend({
  destination: z
    .custom<DestinationStream>(
      (value) => typeof (value as { write?: unknown } | null)?.write === 'function',
      'must be a stream with write(line)',
    )
    .optional(),
});

/** `createLogger` options parsed once: unknown keys and bad values refused. */
export function resolveCreateLoggerOptions(
  input: unknown,
): LoggerConfig & { readonly destination?: DestinationStream } {
  return parseLoggingOptions(createLoggerSchema, input, 'createLogger(options)') as LoggerConfig & {
    readonly destination?: DestinationStream;
  };
}

function parseLoggingOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: string,
): z.output<S> {
  try {
    return parseOptions(schema, input ?? {}, { where, code: 'VSA_LOGGING_INVALID_ARGUMENT' });
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    const e = error;
    throw new LoggingError('VSA_LOGGING_INVALID_ARGUMENT', e.message, {
      cause: e,
      ...(e.details ? { details: { ...e.details } } : {}),
    });
  }
}

/**
 * The pino options behind {@link createLogger}: level, context mixin, redaction, error and
 * request serializers (the `req` one hides sensitive query parameters of the URL), and (when
 * `pretty`) the pino-pretty transport. Give them to Fastify as
 * `fastify({ logger: loggerOptions(config) })` so request logs follow the same rules.
 *
 * @throws {LoggingError} `VSA_LOGGING_INVALID_ARGUMENT` for an unknown level, bad redact lists,
 * a non-string name, a non-boolean pretty or a non-object base.
 */
export function loggerOptions(config: LoggerConfig = {}): LoggerOptions {
  return pinoOptions(
    parseLoggingOptions(loggerConfigSchema, config, 'loggerOptions(config)') as LoggerConfig,
  );
}

/** {@link loggerOptions} for a config already parsed with {@link loggerConfigSchema}. */
export function pinoOptions(config: LoggerConfig): LoggerOptions {
  const keys = sensitiveKeys(config.redactKeys);
  const options: LoggerOptions = {
    level: config.level ?? 'info',
    // The context of the running work on every line, children included. pino calls the
    // timestamp function once per line and writes its result raw after "level"; appending
    // the context's fields, serialized once per context on its first line, costs one
    // concatenation instead of a mixin's object merge and per-field stringify
    // (bench/src/benchmarks/logging.ts measures both).
    // The active OpenTelemetry span's ids join the line to its trace, written the same way
    // (two hex strings, no escaping needed); without an SDK this is one property read.
    timestamp: timestampWithContext(),
    formatters: {
      bindings: (bindings) => scrubValue(bindings, keys),
      log: (fields) => {
        // An object with toJSON (e.g. @vsa/common-config settings) is logged in its JSON
        // form, which is where such objects hide their secrets.
        const toJSON = (fields as { toJSON?: unknown }).toJSON;
        if (typeof toJSON === 'function') {
          const converted: unknown = toJSON.call(fields);
          if (typeof converted === 'object' && converted !== null)
            return scrubFields(converted as Record<string, unknown>, keys);
        }
        return scrubFields(fields, keys);
      },
    },
    // pino applies the bindings formatter to the root only; a child's bindings are serialized
    // once, at creation, into a JSON fragment. Hide URL credentials in that fragment.
    onChild: (child) => {
      const fragment: unknown = (child as unknown as Record<symbol, unknown>)[symbols.chindingsSym];
      if (typeof fragment === 'string') {
        (child as unknown as Record<symbol, unknown>)[symbols.chindingsSym] = scrubUrls(fragment);
      }
    },
    serializers: {
      err: errorSerializer(keys),
      error: errorSerializer(keys),
      // Replaces Fastify's default `req` serializer (ours win in both Fastify wirings) with the
      // same fields and the URL's sensitive query parameters hidden.
      req: serializeRequest,
      // pino runs the serializer keyed by the message key on every message.
      msg: (message: unknown) => (typeof message === 'string' ? scrubUrls(message) : message),
    },
    redact: { paths: [...DEFAULT_REDACT_PATHS, ...(config.redact ?? [])], censor: '[Redacted]' },
  };
  if (config.name !== undefined) options.name = config.name;
  if (config.base !== undefined)
    options.base = { pid: process.pid, hostname: hostname(), ...config.base };
  if (config.pretty === true) {
    options.transport = { target: prettyTarget(), options: PRETTY_OPTIONS };
  }
  return options;
}

/**
 * The `timestamp` function: `,"time":…` plus the log context's fields and the span ids. Lines
 * written in the same millisecond, in the same context and without an active span (most lines
 * of a busy process) get the same string back: no number formatting or concatenation per line.
 */
function timestampWithContext(): () => string {
  let lastNow = -1;
  let lastScope: LogScope | undefined;
  let last = '';
  return () => {
    const now = Date.now();
    const scope = getLogScope();
    const trace = traceFields();
    if (now === lastNow && scope === lastScope && trace === '') return last;
    const line = scope === undefined ? `,"time":${now}` : `,"time":${now}${scope.json}`;
    if (trace !== '') return line + trace;
    lastNow = now;
    lastScope = scope;
    last = line;
    return line;
  };
}

/** pino-pretty settings shared by the transport and the in-process stream. */
export const PRETTY_OPTIONS: { readonly translateTime: string; readonly ignore: string } = {
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname',
};

// An absolute path: pino resolves a bare transport target from the file that called pino(),
// which is Fastify's when Fastify builds the logger, and pnpm does not let Fastify see pino-pretty.
function prettyTarget(): string {
  return fileURLToPath(import.meta.resolve('pino-pretty'));
}
