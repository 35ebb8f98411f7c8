import { fileURLToPath } from 'node:url';
import {
  envBoolean,
  httpSettings,
  loadSettingsOrExit,
  runtimeSettings,
  type Settings,
} from '@vsa/common-config';
import { dbSettings } from '@vsa/common-db';
import { eventsSettings } from '@vsa/common-events';
import { loggingSettings } from '@vsa/common-logging';
import { z } from 'zod';
import { platformSettings } from './platform/platform-settings.js';
import { tracingSettings } from './platform/tracing.js';

/** Settings that belong to the API itself rather than to a package. */
export const apiOwnSettings: z.ZodObject<{
  MIGRATE_ON_START: z.ZodOptional<z.ZodCodec<z.ZodString, z.ZodBoolean>>;
  ADMIN_TOKEN: z.ZodOptional<z.ZodString>;
  IDEMPOTENCY_KEY_TTL_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  IDEMPOTENCY_KEY_SWEEP_INTERVAL_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  INSTANCE_ID: z.ZodOptional<z.ZodString>;
}> = z.object({
  // No default in the schema: unset means "on unless NODE_ENV=production" (see migrateOnStart).
  MIGRATE_ON_START: envBoolean().optional().meta({
    description:
      'Apply pending migrations (app and event bus) before listening; default on, off in production (migrate as a deploy step)',
    example: 'false',
  }),
  ADMIN_TOKEN: z.string().min(16).optional().meta({
    description:
      'Bearer token of the /admin routes (at least 16 characters); unset, every admin call is 401',
    example: 'change-me-to-a-long-random-string',
    secret: true,
  }),
  IDEMPOTENCY_KEY_TTL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(30 * 86_400_000)
    .default(86_400_000)
    .meta({
      description:
        'An Idempotency-Key is remembered this long (24 h); after it, the same key places a new order',
      example: '86400000',
    }),
  IDEMPOTENCY_KEY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).default(600_000).meta({
    description:
      'Delete expired Idempotency-Keys at start and every this many ms, off the request path (0: never)',
    example: '600000',
  }),
  INSTANCE_ID: z
    .string()
    .regex(/^[\w.:@/-]{1,200}$/, '1-200 characters of letters, digits, _ . : @ / -')
    .optional()
    .meta({
      description:
        "This process's stable name among the API's replicas (same across its restarts, unique among the live ones: a pod name); every consumer group uses it as memberId, so a restarted process takes its partitions back at once. Unset: a new id per process, and a crashed one's partitions move after its heartbeat expires (about 3 s)",
      example: 'api-0',
    }),
});

/** Whether to migrate before listening: the setting, else on everywhere but production. */
export function migrateOnStart(
  settings: Pick<ApiSettings, 'MIGRATE_ON_START' | 'NODE_ENV'>,
): boolean {
  return settings.MIGRATE_ON_START ?? settings.NODE_ENV !== 'production';
}

/** Every settings fragment the API is composed of; `.env.example` must document each variable. */
export const apiSettingsFragments = [
  runtimeSettings,
  httpSettings,
  loggingSettings,
  dbSettings,
  eventsSettings,
  platformSettings,
  tracingSettings,
  apiOwnSettings,
] as const;

/** The API's typed, deeply frozen settings. */
export type ApiSettings = Settings<typeof apiSettingsFragments>;

/** The app's `.env`, found from this module (src/ or dist/), whatever the working directory. */
export const API_ENV_FILE = fileURLToPath(new URL('../.env', import.meta.url));

/**
 * Reads the settings once at boot from `env` (default `process.env`) and `.env` beside the
 * app (the real environment wins). On any problem it prints every bad variable and exits 1,
 * before a port or a database is opened.
 */
export function loadApiSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ApiSettings {
  return loadSettingsOrExit({ fragments: apiSettingsFragments, env, envFile: API_ENV_FILE });
}
