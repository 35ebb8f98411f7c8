import { errWithCause } from 'pino-std-serializers';
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

// Node's `clientError` puts the bytes the client sent on `err.rawPacket`: request line and
// headers, Authorization included. Raw bytes are never logged, whatever the key.
const RAW_BYTES_KEYS = new Set(['rawPacket']);

function binaryNote(value: ArrayBufferView | ArrayBuffer): string {
  return `[${value.byteLength} bytes not logged]`;
}

function isBinary(value: unknown): value is ArrayBufferView | ArrayBuffer {
  return ArrayBuffer.isView(value) || value instanceof ArrayBuffer;
}

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
  // pino-std-serializers' errWithCause walks the error (type, message, stack, own and inherited
  // enumerable fields, nested `cause` and `errors`); this pass then hides URL credentials,
  // censors sensitive keys and raw bytes, and keeps a cause that is not an error.
  const scrub = (base: Record<string, unknown>, raw: unknown, depth: number): SerializedError => {
    const out: SerializedError = {
      type: String(base.type),
      message: scrubUrls(String(base.message)),
    };
    if (typeof base.stack === 'string') out.stack = scrubUrls(base.stack);
    // `code` may live on the prototype (or be non-enumerable): read it explicitly.
    const code = (raw as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    for (const key of Object.keys(base)) {
      if (key === 'raw' || key === 'cause' || key === 'aggregateErrors' || key in out) continue;
      if (key === 'errors' && Array.isArray((raw as { errors?: unknown }).errors)) continue;
      const value = base[key];
      if (value === undefined || typeof value === 'function') continue;
      const nested = value as { raw?: unknown };
      out[key] =
        keys.has(key) || RAW_BYTES_KEYS.has(key)
          ? isBinary(value)
            ? binaryNote(value)
            : CENSOR
          : isBinary(value)
            ? binaryNote(value)
            : isErrorLike(nested?.raw)
              ? scrub(value as Record<string, unknown>, nested.raw, depth + 1)
              : scrubValue(value, keys);
    }
    if (Array.isArray(base.aggregateErrors)) {
      out.aggregateErrors = (base.aggregateErrors as Record<string, unknown>[]).map((inner) =>
        scrub(inner, inner.raw, depth + 1),
      );
    }
    const cause = (raw as { cause?: unknown }).cause;
    if (cause !== undefined) {
      const serializedCause = base.cause as Record<string, unknown> | undefined;
      out.cause =
        depth >= MAX_CAUSES
          ? '[cause chain truncated]'
          : serializedCause !== undefined
            ? scrub(serializedCause, serializedCause.raw, depth + 1)
            : isErrorLike(cause)
              ? '[Circular]'
              : scrubValue(cause, keys);
    }
    return out;
  };
  return (err: unknown) => {
    try {
      if (!isErrorLike(err)) return scrubValue(err, keys);
      return scrub(errWithCause(err) as unknown as Record<string, unknown>, err, 0);
    } catch {
      // A serializer must never throw (it would lose the log line): fall back to the basics.
      return { type: 'Error', message: '[unserializable error]' };
    }
  };
}

/**
 * Serializes an error as the logger does (scrubbed: URL credentials hidden, sensitive keys and
 * raw bytes censored), for storing or sending it outside a log line, e.g. a dead letter.
 *
 * @example
 * await tx.sql`insert into failures (error) values (${serializeError(err)})`;
 */
export function serializeError(err: unknown): unknown {
  return defaultSerializer(err);
}

const defaultSerializer = errorSerializer(sensitiveKeys(new Set()));
