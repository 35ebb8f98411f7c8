import FindMyWay from 'find-my-way';

/** Routing options that change which path a route matches (Fastify's `initialConfig`). */
export interface MethodIndexOptions {
  readonly ignoreTrailingSlash?: boolean | undefined;
  readonly ignoreDuplicateSlashes?: boolean | undefined;
  readonly caseSensitive?: boolean | undefined;
  readonly maxParamLength?: number | undefined;
}

/**
 * A shadow of the app's routes answering "which methods does this path have?". Fastify 5
 * answers an unregistered method on a known path with its not-found handler (404); this index
 * lets that handler answer 405 with `Allow` instead. @internal
 */
export interface MethodIndex {
  add(method: string | readonly string[], url: string): void;
  /** Methods registered for `url` (query ignored), sorted; empty when the path is unknown. */
  allowed(url: string): string[];
}

const noop = (): void => {};

/** @internal */
export function createMethodIndex(options: MethodIndexOptions): MethodIndex {
  const router = FindMyWay({
    ignoreTrailingSlash: options.ignoreTrailingSlash ?? false,
    ignoreDuplicateSlashes: options.ignoreDuplicateSlashes ?? false,
    caseSensitive: options.caseSensitive ?? true,
    maxParamLength: options.maxParamLength ?? 100,
    // The app's own router already vetted these paths; mirror them as they are.
    allowUnsafeRegex: true,
  });
  const methods = new Set<FindMyWay.HTTPMethod>();

  return {
    add(method, url) {
      // A catch-all route (CORS preflight `OPTIONS *`) says nothing about which paths exist;
      // indexing it would turn every unknown path into a 405.
      if (url === '*' || url === '/*') return;
      for (const one of typeof method === 'string' ? [method] : method) {
        const upper = one.toUpperCase() as FindMyWay.HTTPMethod;
        try {
          router.on(upper, url, noop);
          methods.add(upper);
        } catch {
          // Same method and path again (e.g. under another constraint), or a method
          // find-my-way does not know: the index stays a best effort, never a failure.
        }
      }
    },
    allowed(url) {
      const path = url.split('?', 1)[0] ?? '';
      const out: string[] = [];
      for (const method of methods) {
        try {
          if (router.find(method, path) !== null) out.push(method);
        } catch {
          // A malformed path (bad percent-encoding) matches nothing.
        }
      }
      return out.sort();
    },
  };
}
