import { z } from 'zod';

/**
 * The logging settings fragment: compose it with `@vsa/common-config`'s `loadSettings` and
 * pass the result to `createLogger({ level: s.LOG_LEVEL, pretty: s.LOG_PRETTY })`.
 */
export const loggingSettings: z.ZodObject<{
  LOG_LEVEL: z.ZodDefault<
    z.ZodEnum<{
      fatal: 'fatal';
      error: 'error';
      warn: 'warn';
      info: 'info';
      debug: 'debug';
      trace: 'trace';
      silent: 'silent';
    }>
  >;
  LOG_PRETTY: z.ZodDefault<z.ZodCodec<z.ZodString, z.ZodBoolean>>;
}> = z.object({
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .meta({ description: 'Lowest log level written', example: 'info' }),
  // Same spellings as @vsa/common-config's envBoolean(); declared here so this package
  // does not depend on its sibling.
  LOG_PRETTY: z
    .stringbool({
      truthy: ['true', '1', 'yes', 'on', 'y'],
      falsy: ['false', '0', 'no', 'off', 'n'],
    })
    .default(false)
    .meta({
      description:
        'Human-readable logs via pino-pretty (development on a TTY); JSON lines when false',
      example: 'true',
    }),
});
