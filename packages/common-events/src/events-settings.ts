import { z } from 'zod';
import { InvalidArgumentError } from './errors.js';
import { DEFAULT_SCHEMA, SCHEMA_NAME, SCHEMA_NAME_RULE } from './schema-name.js';

/**
 * The event bus settings fragment: compose it with `@vsa/common-config`'s `loadSettings`, then
 * `createEventBus({ db, catalog, ...eventBusOptionsFromSettings(settings) })`.
 */
export const eventsSettings: z.ZodObject<{
  EVENTS_SCHEMA: z.ZodDefault<z.ZodString>;
  EVENTS_TICK_INTERVAL_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  EVENTS_LISTEN: z.ZodDefault<z.ZodCodec<z.ZodString, z.ZodBoolean>>;
  EVENTS_POLL_INTERVAL_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  EVENTS_BUFFER_MAX_BATCH: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  EVENTS_BUFFER_MAX_DELAY_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  EVENTS_BUFFER_LANES: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
}> = z.object({
  EVENTS_SCHEMA: z
    .string()
    // The rule of validateSchemaName, so a value this accepts never fails createEventBus.
    .regex(SCHEMA_NAME, `Invalid schema name: ${SCHEMA_NAME_RULE}`)
    .default(DEFAULT_SCHEMA)
    .meta({ description: "Postgres schema of the event bus's tables", example: DEFAULT_SCHEMA }),
  EVENTS_TICK_INTERVAL_MS: z.coerce.number().int().min(1).max(60_000).default(50).meta({
    description: 'Backstop tick interval in ms (commits through the bus tick at once)',
    example: '50',
  }),
  // z.stringbool, not z.coerce.boolean: "false" must be false.
  EVENTS_LISTEN: z
    .stringbool({
      truthy: ['true', '1', 'yes', 'on', 'y'],
      falsy: ['false', '0', 'no', 'off', 'n'],
    })
    .default(true)
    .meta({
      description:
        'Wake consumers with LISTEN/NOTIFY; false = poll only (PgBouncer in transaction mode)',
      example: 'true',
    }),
  EVENTS_POLL_INTERVAL_MS: z.coerce.number().int().min(1).max(600_000).default(500).meta({
    description: "Consumers' polling backstop in ms (the delivery delay when EVENTS_LISTEN=false)",
    example: '500',
  }),
  EVENTS_BUFFER_MAX_BATCH: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .meta({ description: 'Most events per statement of the publish buffer', example: '1000' }),
  EVENTS_BUFFER_MAX_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1).meta({
    description: 'Longest a buffered event waits for more to join its batch, in ms',
    example: '1',
  }),
  EVENTS_BUFFER_LANES: z.coerce.number().int().min(1).max(64).default(1).meta({
    description:
      'Publish buffer writers (connections); above 1, order is kept per event key, not across keys',
    example: '1',
  }),
});

/** Parsed values of {@link eventsSettings}. */
export type EventsSettings = z.output<typeof eventsSettings>;

/** What {@link eventBusOptionsFromSettings} returns: spread it into `createEventBus`. */
export interface EventBusSettingsOptions {
  readonly schema: string;
  readonly tickIntervalMs: number;
  readonly buffer: {
    readonly maxBatch: number;
    readonly maxDelayMs: number;
    readonly lanes: number;
  };
  readonly consumers: { readonly listen: boolean; readonly pollIntervalMs: number };
}

/**
 * Maps parsed {@link eventsSettings} to `createEventBus` options (schema, tick interval, buffer,
 * consumer defaults).
 *
 * @example
 * const bus = createEventBus({ db, catalog, logger, ...eventBusOptionsFromSettings(settings) });
 */
export function eventBusOptionsFromSettings(settings: EventsSettings): EventBusSettingsOptions {
  if (typeof settings !== 'object' || settings === null) {
    throw new InvalidArgumentError(
      'eventBusOptionsFromSettings(settings): pass the settings parsed with the eventsSettings fragment',
    );
  }
  return {
    schema: settings.EVENTS_SCHEMA,
    tickIntervalMs: settings.EVENTS_TICK_INTERVAL_MS,
    buffer: {
      maxBatch: settings.EVENTS_BUFFER_MAX_BATCH,
      maxDelayMs: settings.EVENTS_BUFFER_MAX_DELAY_MS,
      lanes: settings.EVENTS_BUFFER_LANES,
    },
    consumers: {
      listen: settings.EVENTS_LISTEN,
      pollIntervalMs: settings.EVENTS_POLL_INTERVAL_MS,
    },
  };
}
