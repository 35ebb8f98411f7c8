import { InvalidMiddlewareOptionsError } from './options-error.js';

// Keys Fastify's `register` itself understands; fastify-plugin passes them on with the
// plugin's own options, so a plugin must not mistake them for its own.
const FASTIFY_REGISTER_KEYS = new Set(['prefix', 'logLevel', 'logSerializers']);

/**
 * The options a plugin or factory of this package received, minus Fastify's register keys,
 * after checking that they are an object whose every key is one the caller understands.
 * A misspelt key (`requestIdHeadr`) would otherwise be ignored and its default used.
 *
 * @throws {InvalidMiddlewareOptionsError} naming the first unknown key and the allowed keys,
 * or when `options` is not a plain object.
 * @internal
 */
export function checkedOptions(
  caller: string,
  options: unknown,
  allowed: readonly string[],
  { fastifyPlugin }: { readonly fastifyPlugin: boolean },
): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new InvalidMiddlewareOptionsError(
      caller,
      `options must be an object with the keys ${list(allowed)}, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`,
    );
  }
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (fastifyPlugin && FASTIFY_REGISTER_KEYS.has(key)) continue;
    if (!allowed.includes(key)) {
      throw new InvalidMiddlewareOptionsError(
        caller,
        `unknown option ${JSON.stringify(key)}; the allowed options are ${list(allowed)} (check the spelling)`,
      );
    }
    own[key] = value;
  }
  return own;
}

function list(keys: readonly string[]): string {
  return keys.length === 0 ? '(none)' : keys.join(', ');
}
