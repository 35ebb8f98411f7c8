import { z } from 'zod';

/** Values `NODE_ENV` may take. */
export type NodeEnv = 'development' | 'test' | 'production';

/** What Fastify's `trustProxy` option accepts from `TRUST_PROXY`. */
export type TrustProxy = boolean | number | readonly string[];

/**
 * Runtime mode. `NODE_ENV=production` turns on the `requiredInProduction` rule of every
 * fragment; drive nothing else from it (use a dedicated variable per behaviour).
 */
export const runtimeSettings: z.ZodObject<{
  NODE_ENV: z.ZodDefault<
    z.ZodEnum<{ development: 'development'; test: 'test'; production: 'production' }>
  >;
}> = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development').meta({
    description: 'Runtime mode; production makes variables marked requiredInProduction mandatory',
    example: 'production',
  }),
});

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

function parseTrustProxy(
  raw: string | undefined,
  ctx: z.core.$RefinementCtx<string | undefined>,
): TrustProxy {
  if (raw === undefined) return false;
  const value = raw.trim().toLowerCase();
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = raw.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '' || /\s/.test(entry))) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected true, false, a hop count, or a comma-separated list of addresses/CIDRs',
    });
    return z.NEVER;
  }
  return Object.freeze(entries);
}

/** Where and how the HTTP server listens. Pass to `fastify({ trustProxy, bodyLimit })` and `listen({ host, port })`. */
export const httpSettings: z.ZodObject<{
  HOST: z.ZodDefault<z.ZodString>;
  PORT: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  TRUST_PROXY: z.ZodPipe<
    z.ZodOptional<z.ZodString>,
    z.ZodTransform<TrustProxy, string | undefined>
  >;
  BODY_LIMIT: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
}> = z.object({
  HOST: z.string().min(1).default('127.0.0.1').meta({
    description: 'Interface to listen on; use 0.0.0.0 in containers',
    example: '0.0.0.0',
  }),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000).meta({
    description: 'TCP port to listen on (0 picks a free port)',
    example: '3000',
  }),
  TRUST_PROXY: z.string().optional().transform(parseTrustProxy).meta({
    description: 'Trust X-Forwarded-* from proxies: true, false, a hop count, or addresses/CIDRs',
    example: '1',
  }),
  BODY_LIMIT: z.coerce.number().int().positive().default(1_048_576).meta({
    description: 'Largest accepted request body in bytes',
    example: '1048576',
  }),
});
