import { AsyncResource } from 'node:async_hooks';

// One async resource per request, created inside the request's log context. Node loses the
// context across the body stream's callbacks; re-entering this resource restores it.
const scopes = new WeakMap<object, AsyncResource>();

/** Captures the current async context for `request`. @internal */
export function captureRequestScope(request: object): AsyncResource {
  const resource = new AsyncResource('vsa-request-context');
  scopes.set(request, resource);
  return resource;
}

/**
 * Runs `fn` inside the async context captured for `request` (its log context), or directly
 * when the request-context plugin is not registered. @internal
 */
export function runInRequestScope<T>(request: object, fn: () => T): T {
  const resource = scopes.get(request);
  return resource === undefined ? fn() : resource.runInAsyncScope(fn);
}
