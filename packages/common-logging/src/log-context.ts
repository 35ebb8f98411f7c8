import { AsyncLocalStorage } from 'node:async_hooks';
import { LoggingError } from './errors.js';
import { scrubUrls } from './scrub-url.js';

/**
 * Fields that follow a unit of work (an HTTP request, an event handler) through every
 * await, timer and callback, and appear on every log line written inside it.
 */
export interface LogContext {
  /** Id of the HTTP request being served. */
  readonly requestId?: string;
  /** Id shared by everything caused by one original action (request, job, event chain). */
  readonly correlationId?: string;
  /** Id of the message (request or event) that directly caused this work. */
  readonly causationId?: string;
  /** Id of the event being handled. */
  readonly eventId?: string;
  /** Consumer group handling the event. */
  readonly consumer?: string;
  /** W3C traceparent, when the caller has one. */
  readonly traceparent?: string;
}

/** What the store holds: the context and its JSON fields, serialized once per context. @internal */
export interface LogScope {
  readonly context: LogContext;
  /** `,"requestId":"r-1",...`: appended to each line by the logger, so no per-line stringify. */
  readonly json: string;
}

/**
 * Serializes lazily, on the first line logged in the scope, then caches: most units of work
 * (handled events especially) never log, and entering a context is on their hot path.
 */
class Scope implements LogScope {
  readonly context: LogContext;
  private cached: string | undefined = undefined;

  constructor(context: LogContext) {
    this.context = context;
  }

  get json(): string {
    if (this.cached === undefined) this.cached = toJsonFields(this.context);
    return this.cached;
  }
}

const storage = new AsyncLocalStorage<LogScope>();

/**
 * Runs `fn` with `context` merged over the current context; every line logged inside,
 * however deep and however asynchronous, carries the merged fields. Fields that are
 * `undefined`, `null` or `''` are left out (they do not clear an outer value).
 *
 * @example
 * await withLogContext({ requestId: 'req-1', correlationId: 'req-1' }, async () => {
 *   logger.info('handled'); // {"requestId":"req-1","correlationId":"req-1",...}
 * });
 * @throws {LoggingError} `VSA_LOGGING_INVALID_ARGUMENT` when `context` is not an object, a
 * field is neither a string nor empty, or `fn` is not a function.
 */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  if (typeof fn !== 'function') {
    throw new LoggingError(
      'VSA_LOGGING_INVALID_ARGUMENT',
      'withLogContext(context, fn): fn must be a function',
    );
  }
  // Frozen: its JSON form is computed once (on first use) and cached, so it must not change.
  const merged = Object.freeze(mergeFields(storage.getStore()?.context, context));
  return storage.run(new Scope(merged), fn);
}

/** The context of the work running now, or `undefined` outside any `withLogContext`. */
export function getLogContext(): LogContext | undefined {
  return storage.getStore()?.context;
}

/** The current scope (context plus its serialized fields), for the logger. @internal */
export function getLogScope(): LogScope | undefined {
  return storage.getStore();
}

function toJsonFields(context: LogContext): string {
  let json = '';
  const fields = context as Readonly<Record<string, string>>;
  for (const key of Object.keys(fields)) {
    json += `,${JSON.stringify(key)}:${JSON.stringify(scrubUrls(fields[key] as string))}`;
  }
  return json;
}

/**
 * `parent` with the non-empty fields of `context` written over it, in one new object (the
 * key order of `{ ...parent, ...fields }`: parent keys first, new keys after).
 */
function mergeFields(parent: LogContext | undefined, context: LogContext): LogContext {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw new LoggingError(
      'VSA_LOGGING_INVALID_ARGUMENT',
      'withLogContext(context, fn): context must be an object such as { requestId, correlationId }',
    );
  }
  const out: Record<string, string> = parent === undefined ? {} : { ...parent };
  const fields = context as Readonly<Record<string, unknown>>;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (typeof value === 'string') {
      if (value !== '') out[key] = value;
    } else if (value !== undefined && value !== null) {
      // A number or object here is a caller bug: logging it as "[object Object]" or dropping
      // it silently would both hide the id the logs are meant to carry.
      throw new LoggingError(
        'VSA_LOGGING_INVALID_ARGUMENT',
        `withLogContext(): context.${key} must be a string, got ${typeof value}`,
      );
    }
  }
  return out;
}

/**
 * Wraps `fn` so it runs in the context that is current now, wherever it is called later:
 * for callbacks handed to code that runs them outside this async chain (a pool, a shared
 * emitter created elsewhere).
 *
 * @throws {LoggingError} `VSA_LOGGING_INVALID_ARGUMENT` when `fn` is not a function.
 */
export function bindLogContext<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  if (typeof fn !== 'function') {
    throw new LoggingError(
      'VSA_LOGGING_INVALID_ARGUMENT',
      'bindLogContext(fn): fn must be a function',
    );
  }
  const scope = storage.getStore();
  if (scope === undefined) return fn;
  return (...args: A) => storage.run(scope, () => fn(...args));
}
