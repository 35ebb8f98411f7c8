import { z } from 'zod';
import { invalidArgument } from './errors.js';
import type { PoolOptions } from './pg-driver.js';

/**
 * The database settings fragment: compose it with `@vsa/common-config`'s `loadSettings`,
 * then `createDatabase(databaseOptionsFromSettings(settings))`.
 */
export const dbSettings: z.ZodObject<{
  DATABASE_URL: z.ZodOptional<z.ZodString>;
  PGLITE_DATA_DIR: z.ZodDefault<z.ZodString>;
  DB_POOL_MAX: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  DB_STATEMENT_TIMEOUT_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  DB_QUERY_TIMEOUT_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  DB_CONNECT_TIMEOUT_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  DB_IDLE_TIMEOUT_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  DB_APPLICATION_NAME: z.ZodDefault<z.ZodString>;
}> = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|pglite:|memory:)/, 'use postgres://…, pglite:<folder> or memory:')
    .refine(
      isParsableUrl,
      'not a valid URL: check the host, and that the port is between 1 and 65535',
    )
    .optional()
    .meta({
      description:
        'PostgreSQL URL; unset uses embedded PGlite in PGLITE_DATA_DIR (pglite:<folder> and memory: work too)',
      example: 'postgres://app:secret@127.0.0.1:5432/app',
      secret: true,
      requiredInProduction: true,
    }),
  PGLITE_DATA_DIR: z.string().min(1).default('.data/pglite').meta({
    description: 'Folder of the embedded PGlite database when DATABASE_URL is unset',
    example: '.data/pglite',
  }),
  DB_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .meta({ description: 'Maximum PostgreSQL connections in the pool', example: '10' }),
  DB_STATEMENT_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30_000)
    .meta({ description: 'Server-side statement_timeout in ms (0 disables it)', example: '30000' }),
  DB_QUERY_TIMEOUT_MS: z.coerce.number().int().min(0).default(35_000).meta({
    description:
      'Client-side query timeout in ms: stop waiting for an answer, also from a hung server (0 disables it; keep it above DB_STATEMENT_TIMEOUT_MS)',
    example: '35000',
  }),
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(1).default(2_000).meta({
    description:
      'Wait at most this many ms for a database connection (a new one, or a free pooled one), then fail as unavailable (503)',
    example: '2000',
  }),
  DB_IDLE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(10_000)
    .meta({ description: 'Close pooled connections idle for this many ms', example: '10000' }),
  DB_APPLICATION_NAME: z.string().min(1).max(63).default('vsa-api').meta({
    description: 'application_name reported to PostgreSQL (pg_stat_activity)',
    example: 'vsa-api',
  }),
});

// A postgres:// URL must parse (the WHATWG parser also refuses a port above 65535) so a typo
// fails here, with the variable named, instead of at the first connection.
function isParsableUrl(value: string): boolean {
  if (!/^postgres(ql)?:\/\//i.test(value)) return true;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** Parsed values of {@link dbSettings}. */
export type DbSettings = z.output<typeof dbSettings>;

/** Maps parsed {@link dbSettings} to `createDatabase` options (url, dataDir, pool). */
export function databaseOptionsFromSettings(settings: DbSettings): {
  url: string | undefined;
  dataDir: string;
  pool: PoolOptions;
} {
  if (typeof settings !== 'object' || settings === null) {
    throw invalidArgument(
      'databaseOptionsFromSettings(settings): pass the settings parsed with the dbSettings fragment',
    );
  }
  return {
    url: settings.DATABASE_URL,
    dataDir: settings.PGLITE_DATA_DIR,
    pool: {
      max: settings.DB_POOL_MAX,
      idleTimeoutMs: settings.DB_IDLE_TIMEOUT_MS,
      ...(settings.DB_STATEMENT_TIMEOUT_MS > 0
        ? { statementTimeoutMs: settings.DB_STATEMENT_TIMEOUT_MS }
        : {}),
      ...(settings.DB_QUERY_TIMEOUT_MS > 0 ? { queryTimeoutMs: settings.DB_QUERY_TIMEOUT_MS } : {}),
      connectionTimeoutMs: settings.DB_CONNECT_TIMEOUT_MS,
      applicationName: settings.DB_APPLICATION_NAME,
    },
  };
}
