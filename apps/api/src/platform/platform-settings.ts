import { envBoolean } from '@vsa/common-config';
import { z } from 'zod';

const ms = (fallback: number, min: number, description: string, max = 86_400_000) =>
  z.coerce
    .number()
    .int()
    .min(min)
    .max(max)
    .default(fallback)
    .meta({
      description,
      example: String(fallback),
    });

/**
 * Settings of the app-wide plugins in `src/platform`: server timeouts, CORS, rate limit, load
 * shedding, shutdown, start-up retries and what error bodies may reveal.
 */
export const platformSettings: z.ZodObject<{
  EXPOSE_ERROR_DETAILS: z.ZodDefault<z.ZodCodec<z.ZodString, z.ZodBoolean>>;
  CONNECTION_TIMEOUT_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  REQUEST_TIMEOUT_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  KEEP_ALIVE_TIMEOUT_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  HEADERS_TIMEOUT_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  CORS_ORIGINS: z.ZodPipe<z.ZodDefault<z.ZodString>, z.ZodTransform<readonly string[], string>>;
  RATE_LIMIT_MAX: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  RATE_LIMIT_WINDOW_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  LOAD_MAX_EVENT_LOOP_DELAY_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  LOAD_MAX_HEAP_USED_BYTES: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  DB_START_RETRY_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  SHUTDOWN_TIMEOUT_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
}> = z.object({
  EXPOSE_ERROR_DETAILS: envBoolean().default(false).meta({
    description:
      'Put server errors’ (5xx) messages in problem bodies; never on by default, whatever NODE_ENV',
    example: 'true',
  }),
  CONNECTION_TIMEOUT_MS: ms(10_000, 0, 'Socket idle timeout before a request arrives (0: none)'),
  REQUEST_TIMEOUT_MS: ms(30_000, 1, 'Longest time to receive a whole request, body included'),
  KEEP_ALIVE_TIMEOUT_MS: ms(
    72_000,
    1,
    'Idle keep-alive time; above the load balancer’s own (60 s on AWS ALB)',
  ),
  HEADERS_TIMEOUT_MS: ms(10_000, 1, 'Longest time to receive the request headers'),
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((raw): readonly string[] =>
      Object.freeze(
        raw
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
      ),
    )
    .meta({
      description:
        'Comma-separated origins allowed by CORS; empty (default): no cross-origin access',
      example: 'https://shop.example.com',
    }),
  RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(600).meta({
    description: 'Requests per client address per window (0: no rate limit)',
    example: '600',
  }),
  RATE_LIMIT_WINDOW_MS: ms(60_000, 1, 'Rate-limit window'),
  LOAD_MAX_EVENT_LOOP_DELAY_MS: ms(
    1_000,
    0,
    'Answer 503 while the event loop lags more than this (0: off)',
  ),
  LOAD_MAX_HEAP_USED_BYTES: z.coerce.number().int().min(0).default(0).meta({
    description: 'Answer 503 while the V8 heap holds more than this many bytes (0: off)',
    example: '1073741824',
  }),
  DB_START_RETRY_MS: ms(30_000, 0, 'Keep retrying an unreachable database at start this long'),
  SHUTDOWN_TIMEOUT_MS: ms(10_000, 100, 'On SIGTERM/SIGINT, force the exit after this long'),
});

/** The resolved platform settings. */
export type PlatformSettings = z.output<typeof platformSettings>;
