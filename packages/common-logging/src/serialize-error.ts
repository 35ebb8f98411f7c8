import { LoggingError } from './errors.js';
import { CENSOR, scrubValue } from './scrub.js';
import { scrubUrls } from './scrub-url.js';
import { type SensitiveKeys, sensitiveKeys } from './sensitive-keys.js';

/** An error as it appears in a log line. */
export interface SerializedError {
  /** Constructor name (`TypeError`, `PrismaClientKnownRequestError`), else `error.name`. */
  type: string;
  /** The message, URL passwords hidden. */
  message: string;
  /** The stack, URL passwords hidden. */
  stack?: string;
  /** `error.code`, own or inherited (e.g. `@fastify/error` codes live on the prototype). */
  code?: unknown;
  /** The serialized `cause` (an error nests; anything else is scrubbed as a value). */
  cause?: SerializedError | unknown;
  /** The serialized `errors` of an `AggregateError`. */
  aggregateErrors?: SerializedError[];
  /** Every other own enumerable field, sensitive keys censored. */
  [key: string]: unknown;
}

const MAX_CAUSES = 10;

function isErrorLike(value: unknown): value is Error {
  return (
    typeof value === 'object' && value !== null && typeof (value as Error).message === 'string'
  );
}

/**
 * Builds an `err` serializer: type, message, stack, `code` and every other own field, with the
 * `cause` chain nested (not flattened into the message), URL credentials hidden in messages
 * and stacks, and sensitive fields censored. Never throws; cycles end in `"[Circular]"`.
 *
 * @param keys Extra key names to censor, each in any spelling (`iban` also censors `IBAN`),
 * on top of the logger's default rule (a key ending in `password`, `secret`, `token`,
 * `apiKey`, … ; see `DEFAULT_REDACT_KEYS`).
 * @throws {LoggingError} `VSA_LOGGING_INVALID_ARGUMENT` when `keys` is not a Set of non-empty
 * strings, so the serializer itself can keep its promise never to throw.
 */
export function createErrorSerializer(keys: ReadonlySet<string>): (err: unknown) => unknown {
  if (!(keys instanceof Set) || [...keys].some((key) => typeof key !== 'string' || key === '')) {
    throw new LoggingError(
      'VSA_LOGGING_INVALID_ARGUMENT',
      "createErrorSerializer() needs a Set of non-empty key names to censor, e.g. new Set(['iban'])",
    );
  }
  return errorSerializer(sensitiveKeys(keys));
}

/** {@link createErrorSerializer} with the logger's own key rule (shared with its scrubber). */
export function errorSerializer(keys: SensitiveKeys): (err: unknown) => unknown {
  const serialize = (err: unknown, seen: Set<unknown>, depth: number): unknown => {
    if (!isErrorLike(err)) return scrubValue(err, keys);
    if (seen.has(err)) return '[Circular]';
    seen.add(err);
    const ctor = (err as { constructor?: { name?: unknown } }).constructor;
    const out: SerializedError = {
      type: typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : String(err.name),
      message: scrubUrls(err.message),
    };
    if (typeof err.stack === 'string') out.stack = scrubUrls(err.stack);
    // `code` may live on the prototype (or be non-enumerable): read it explicitly.
    const code = (err as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    for (const key in err) {
      if (key === 'cause' || key === 'errors' || key in out) continue;
      const value = (err as unknown as Record<string, unknown>)[key];
      if (value === undefined || typeof value === 'function') continue;
      out[key] = keys.has(key)
        ? CENSOR
        : isErrorLike(value)
          ? serialize(value, seen, depth + 1)
          : scrubValue(value, keys);
    }
    const errors = (err as { errors?: unknown }).errors;
    if (Array.isArray(errors))
      out.aggregateErrors = errors.map(
        (inner) => serialize(inner, seen, depth + 1) as SerializedError,
      );
    const cause = (err as { cause?: unknown }).cause;
    if (cause !== undefined) {
      out.cause =
        depth >= MAX_CAUSES ? '[cause chain truncated]' : serialize(cause, seen, depth + 1);
    }
    return out;
  };
  return (err: unknown) => {
    try {
      return serialize(err, new Set(), 0);
    } catch {
      // A serializer must never throw (it would lose the log line): fall back to the basics.
      return { type: 'Error', message: '[unserializable error]' };
    }
  };
}
