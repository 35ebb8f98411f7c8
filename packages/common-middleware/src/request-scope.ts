import { getLogContext, type LogContext, withLogContext } from '@vsa/common-logging';

// The log context each request runs in, captured once inside it. Node can lose the async
// context across a body stream's callbacks (a custom parser, a native addon); re-entering it
// from here restores the request's ids. A plain object per request: an AsyncResource per
// request (what this was) costs an async-hooks init and propagation on every request. Kept in
// a symbol-keyed field of the request, not a WeakMap (see request-id.ts).
const kScope = Symbol('vsa.requestScope');

interface ScopedRequest {
  [kScope]?: LogContext;
}

/** Records the log context running now as `request`'s. @internal */
export function captureRequestScope(request: object): void {
  const context = getLogContext();
  if (context !== undefined) (request as ScopedRequest)[kScope] = context;
}

/**
 * Runs `fn` in the log context captured for `request`: directly when it is still the current
 * one (the usual case) or the request-context plugin is not registered, else inside it again.
 * @internal
 */
export function runInRequestScope<T>(request: object, fn: () => T): T {
  const context = (request as ScopedRequest)[kScope];
  return context === undefined || getLogContext() === context ? fn() : withLogContext(context, fn);
}
