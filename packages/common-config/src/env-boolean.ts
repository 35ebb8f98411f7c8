import { z } from 'zod';

/**
 * A boolean environment variable: `true/1/yes/on/y` → `true`, `false/0/no/off/n` → `false`
 * (case-insensitive), anything else is an error. Unlike `z.coerce.boolean()`, `"false"` is false.
 *
 * @example
 * const featureSettings = z.object({
 *   FEATURE_X: envBoolean().default(false).meta({ description: 'Enable X', example: 'true' }),
 * });
 */
export function envBoolean(): z.ZodCodec<z.ZodString, z.ZodBoolean> {
  return z.stringbool({
    truthy: ['true', '1', 'yes', 'on', 'y'],
    falsy: ['false', '0', 'no', 'off', 'n'],
  });
}
