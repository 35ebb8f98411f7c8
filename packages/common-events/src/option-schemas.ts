// Zod pieces of the options schemas of this package's public functions. Each public entry
// parses its options once with `parseOptions` (strict objects: unknown keys are refused with
// the accepted ones named; defaults live here), and passes the resolved object inward.
import type { Database } from '@vsa/common-db';
import type { ParseOptionsAt } from '@vsa/common-errors';
import { z } from 'zod';
import type { EventCatalog } from './catalog/define-catalog.js';
import type { EventExecutor } from './executor.js';
import type { EventBusLogger } from './logger.js';
import { DEFAULT_SCHEMA, SCHEMA_NAME, SCHEMA_NAME_RULE } from './schema-name.js';

/** Where options of a public function of this package are parsed. @internal */
export const at = (where: string): ParseOptionsAt => ({
  where,
  code: 'VSA_EVENTS_INVALID_ARGUMENT',
});

/** `schema`: a safe schema name, default `vsa_events`. @internal */
export const schemaOption: z.ZodType<string, string | undefined> = z
  .string(SCHEMA_NAME_RULE)
  .regex(SCHEMA_NAME, SCHEMA_NAME_RULE)
  .default(DEFAULT_SCHEMA);

/** An integer option within `min..max` (one message for a wrong type and a wrong range). @internal */
export function intOption(min: number, max: number): z.ZodType<number, number> {
  const message = `must be an integer from ${min} to ${max}`;
  return z.int(message).min(min, message).max(max, message);
}

/** An integer option `>= min` (ids, offsets). @internal */
export function intAtLeast(min: number, what = 'an integer'): z.ZodType<number, number> {
  const message = `must be ${what} (an integer >= ${min})`;
  return z.int(message).min(min, message);
}

/** A number option `>= min` (fractions allowed). @internal */
export function numberAtLeast(min: number): z.ZodType<number, number> {
  const message = `must be a number >= ${min}`;
  return z.number(message).min(min, message);
}

const NAME = /^[\w.:@/-]{1,200}$/;

const NAME_RULE = 'must be 1-200 characters of letters, digits, _ . : @ / -';

/** A group, channel or member name ({@link NAME_RULE}). @internal */
export const nameOption: z.ZodType<string, string> = z.string(NAME_RULE).regex(NAME, NAME_RULE);

const LOGGER_METHODS = ['debug', 'info', 'warn', 'error'] as const;

/** Methods of the {@link EventBusLogger} contract that `value` lacks. */
function missingLoggerMethods(value: unknown): string[] {
  return typeof value === 'object' && value !== null
    ? LOGGER_METHODS.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function')
    : [...LOGGER_METHODS];
}

/** `logger`: pino-compatible (debug, info, warn, error); the message names what is missing. @internal */
export const loggerOption: z.ZodType<EventBusLogger | undefined, EventBusLogger | undefined> = z
  .custom<EventBusLogger | undefined>()
  .superRefine((value, ctx) => {
    if (value === undefined) return;
    const missing = missingLoggerMethods(value);
    if (missing.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a pino-compatible logger with debug, info, warn and error functions; missing ${missing.join(', ')}`,
      });
    }
  })
  .optional();

/**
 * `db` of the functions that take an executor: any object here; `toQueryable` then tells a
 * supported one (Database, Prisma client, pg pool) from the rest with its own error. @internal
 */
export const executorOption: z.ZodType<EventExecutor, EventExecutor> = z.custom<EventExecutor>(
  (v) => typeof v === 'object' && v !== null,
  'must be a @vsa/common-db Database, a Prisma client or a pg pool',
);

/** `db` of the functions that need a @vsa/common-db Database (transactions). @internal */
export const databaseOption: z.ZodType<Database<unknown>, Database<unknown>> = z.custom<
  Database<unknown>
>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { transaction?: unknown }).transaction === 'function',
  'must be a @vsa/common-db Database (createDatabase / createPglite)',
);

/** `catalog`: from `defineCatalog([...])` (an object with validate and upcast). @internal */
export const catalogOption: z.ZodType<EventCatalog, EventCatalog> = z.custom<EventCatalog>(
  (v) =>
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { upcast?: unknown }).upcast === 'function' &&
    typeof (v as { validate?: unknown }).validate === 'function',
  'must come from defineCatalog([...]) (an object with validate and upcast functions)',
);

/** An optional callback. @internal */
export function functionOption<F extends (...args: never[]) => unknown>(
  what: string,
): z.ZodType<F, F> {
  return z.custom<F>((v) => typeof v === 'function', `must be a function ${what}`);
}
