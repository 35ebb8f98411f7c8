import { AsyncLocalStorage } from 'node:async_hooks';

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

const storage = new AsyncLocalStorage<LogContext>();

/**
 * Runs `fn` with `context` merged over the current context; every line logged inside,
 * however deep and however asynchronous, carries the merged fields.
 *
 * @example
 * await withLogContext({ requestId: 'req-1', correlationId: 'req-1' }, async () => {
 *   logger.info('handled'); // {"requestId":"req-1","correlationId":"req-1",...}
 * });
 */
export function withLogContext<T>(context: LogContext, fn: () => T): T {
  const parent = storage.getStore();
  // Frozen: the logger's mixin hands this very object to every line, so nobody may mutate it.
  return storage.run(
    Object.freeze(parent ? { ...parent, ...definedFields(context) } : definedFields(context)),
    fn,
  );
}

/** The context of the work running now, or `undefined` outside any `withLogContext`. */
export function getLogContext(): LogContext | undefined {
  return storage.getStore();
}

function definedFields(context: LogContext): LogContext {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) {
    if (typeof value === 'string' && value !== '') out[key] = value;
  }
  return out;
}

/**
 * Wraps `fn` so it runs in the context that is current now, wherever it is called later:
 * for callbacks handed to code that runs them outside this async chain (a pool, a shared
 * emitter created elsewhere).
 */
export function bindLogContext<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  const context = storage.getStore();
  if (context === undefined) return fn;
  return (...args: A) => storage.run(context, () => fn(...args));
}
