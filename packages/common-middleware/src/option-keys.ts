import { parseOptions } from '@vsa/common-errors';
import type { output, ZodType } from 'zod';
import { MIDDLEWARE_INVALID_OPTIONS } from './options-error.js';

// Keys Fastify's `register` itself understands; fastify-plugin passes them on with the
// plugin's own options, so a plugin must not mistake them for its own.
const FASTIFY_REGISTER_KEYS = new Set(['prefix', 'logLevel', 'logSerializers']);

/**
 * Parses the options of a plugin or factory of this package once, with its strict zod schema
 * (defaults in the schema; an unknown key is refused naming it and the accepted ones, so a
 * misspelt `requestIdHeadr` is not silently ignored). For a Fastify plugin, Fastify's own
 * register keys are left out first.
 *
 * @throws {InvalidMiddlewareOptionsError} (`VSA_MIDDLEWARE_INVALID_OPTIONS`) naming each problem.
 * @internal
 */
export function parseMiddlewareOptions<S extends ZodType>(
  schema: S,
  options: unknown,
  where: string,
  { fastifyPlugin }: { readonly fastifyPlugin: boolean },
): output<S> {
  const own =
    fastifyPlugin && typeof options === 'object' && options !== null && !Array.isArray(options)
      ? Object.fromEntries(
          Object.entries(options).filter(([key]) => !FASTIFY_REGISTER_KEYS.has(key)),
        )
      : options;
  return parseOptions(schema, own === undefined ? {} : own, {
    where,
    code: MIDDLEWARE_INVALID_OPTIONS,
  });
}
