import { z } from 'zod';

/** How the relay's stream is configured; {@link ensureStream} creates or checks it. */
export interface StreamSettings {
  /** Stream name (letters, digits, `_`, `-`). */
  readonly name: string;
  /** Subjects are `<subjectPrefix>.<channel>.<type>`; the stream captures `<subjectPrefix>.>`. */
  readonly subjectPrefix: string;
  /** Copies of each message in a JetStream cluster (1, 3 or 5 in practice). */
  readonly replicas: number;
  /** `limits` keeps messages until age/size limits; `interest`/`workqueue` drop acknowledged ones. */
  readonly retention: 'limits' | 'interest' | 'workqueue';
  /** Window in ms in which a repeated `Nats-Msg-Id` is dropped as a duplicate. */
  readonly duplicateWindowMs: number;
  /** Oldest message kept in ms; 0 keeps them until other limits apply. */
  readonly maxAgeMs: number;
  readonly storage: 'file' | 'memory';
}

const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const STREAM_NAME = /^[A-Za-z0-9_-]{1,200}$/;

/** zod schema of {@link StreamSettings} with defaults, for options given in code. */
export const streamSettingsSchema: z.ZodObject<{
  name: z.ZodString;
  subjectPrefix: z.ZodDefault<z.ZodString>;
  replicas: z.ZodDefault<z.ZodNumber>;
  retention: z.ZodDefault<
    z.ZodEnum<{ limits: 'limits'; interest: 'interest'; workqueue: 'workqueue' }>
  >;
  duplicateWindowMs: z.ZodDefault<z.ZodNumber>;
  maxAgeMs: z.ZodDefault<z.ZodNumber>;
  storage: z.ZodDefault<z.ZodEnum<{ file: 'file'; memory: 'memory' }>>;
}> = z.strictObject({
  name: z.string().regex(STREAM_NAME, 'letters, digits, _ and - only (at most 200)'),
  subjectPrefix: z
    .string()
    .regex(SUBJECT_TOKEN, 'dot-separated tokens of letters, digits, _ and -')
    .default('vsa'),
  replicas: z.int().min(1).max(5).default(1),
  retention: z.enum(['limits', 'interest', 'workqueue']).default('limits'),
  duplicateWindowMs: z
    .int()
    .min(100)
    .max(7 * 24 * 3_600_000)
    .default(120_000),
  maxAgeMs: z.int().min(0).default(0),
  storage: z.enum(['file', 'memory']).default('file'),
});

/**
 * The NATS settings fragment: compose it with `@vsa/common-config`'s `loadSettings`, then
 * `connect({ servers: settings.NATS_SERVERS })` and `streamSettingsFromSettings(settings)`.
 */
export const natsSettings: z.ZodObject<{
  NATS_SERVERS: z.ZodPipe<z.ZodDefault<z.ZodString>, z.ZodTransform<string[], string>>;
  NATS_STREAM: z.ZodDefault<z.ZodString>;
  NATS_SUBJECT_PREFIX: z.ZodDefault<z.ZodString>;
  NATS_STREAM_REPLICAS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  NATS_STREAM_RETENTION: z.ZodDefault<
    z.ZodEnum<{ limits: 'limits'; interest: 'interest'; workqueue: 'workqueue' }>
  >;
  NATS_DUPLICATE_WINDOW_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
  NATS_STREAM_MAX_AGE_MS: z.ZodDefault<z.ZodCoercedNumber<unknown>>;
}> = z.object({
  NATS_SERVERS: z
    .string()
    .default('nats://127.0.0.1:4222')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    )
    .meta({ description: 'Comma-separated NATS server URLs', example: 'nats://127.0.0.1:4222' }),
  NATS_STREAM: z.string().regex(STREAM_NAME).default('VSA_EVENTS').meta({
    description: 'JetStream stream the relay writes to',
    example: 'VSA_EVENTS',
  }),
  NATS_SUBJECT_PREFIX: z.string().regex(SUBJECT_TOKEN).default('vsa').meta({
    description: 'First subject tokens: subjects are <prefix>.<channel>.<type>',
    example: 'vsa',
  }),
  NATS_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1).meta({
    description: 'Stream replicas (3 in a production cluster)',
    example: '3',
  }),
  NATS_STREAM_RETENTION: z.enum(['limits', 'interest', 'workqueue']).default('limits').meta({
    description: 'Stream retention policy',
    example: 'limits',
  }),
  NATS_DUPLICATE_WINDOW_MS: z.coerce.number().int().min(100).default(120_000).meta({
    description: 'Duplicate window of the stream in ms (Nats-Msg-Id dedupe)',
    example: '120000',
  }),
  NATS_STREAM_MAX_AGE_MS: z.coerce.number().int().min(0).default(0).meta({
    description: 'Oldest message the stream keeps in ms (0: no age limit)',
    example: '0',
  }),
});

/** Resolved output of {@link natsSettings}. */
export type NatsSettings = z.output<typeof natsSettings>;

/** The {@link StreamSettings} that {@link natsSettings} describe. */
export function streamSettingsFromSettings(settings: NatsSettings): StreamSettings {
  return {
    name: settings.NATS_STREAM,
    subjectPrefix: settings.NATS_SUBJECT_PREFIX,
    replicas: settings.NATS_STREAM_REPLICAS,
    retention: settings.NATS_STREAM_RETENTION,
    duplicateWindowMs: settings.NATS_DUPLICATE_WINDOW_MS,
    maxAgeMs: settings.NATS_STREAM_MAX_AGE_MS,
    storage: 'file',
  };
}
