import type { z } from 'zod';
import type { EventEnvelope, EventMetadata } from '../envelope.js';
import { InvalidDefinitionError, InvalidPayloadError, type PayloadIssue } from '../errors.js';
import { uuidv7 } from '../ids.js';
import { validateEnvelopeFields } from './validate-envelope.js';

/** Options of `EventDefinition.create`. */
export interface CreateEventOptions {
  /** Ordering / partitioning key, e.g. the aggregate id. */
  readonly key?: string | null;
  /** Extra metadata; correlation and causation ids default to the log context's. */
  readonly metadata?: EventMetadata;
  /** Publishing the same key twice on this channel returns the first event. */
  readonly idempotencyKey?: string | null;
  /** When it happened (default: now). */
  readonly occurredAt?: Date;
  /** Event id (default: a new UUIDv7). */
  readonly id?: string;
}

/** Turns a stored payload of an older version into this version's input. */
export type Upcaster<Input> = (payload: unknown, fromVersion: number) => Input;

/** Input of {@link defineEvent}. */
export interface EventDefinitionInput<
  C extends string,
  T extends string,
  V extends number,
  S extends z.ZodType,
> {
  readonly channel: C;
  readonly type: T;
  readonly version: V;
  readonly payload: S;
  /** Upcasts stored events of older versions of this type to this version on read. */
  readonly upcast?: Upcaster<z.input<S>>;
  /** Shown in the AsyncAPI document. */
  readonly description?: string;
}

/** A typed event: its schema plus a factory that validates and builds envelopes. */
export interface EventDefinition<
  C extends string = string,
  T extends string = string,
  V extends number = number,
  S extends z.ZodType = z.ZodType,
> {
  readonly channel: C;
  readonly type: T;
  readonly version: V;
  readonly payload: S;
  readonly upcast: Upcaster<z.input<S>> | undefined;
  readonly description: string | undefined;
  /** `channel/Type@vN`, used in messages. */
  readonly name: string;
  /**
   * Validates `payload` (throws `VSA_EVENTS_INVALID_PAYLOAD` naming the field) and returns an
   * envelope ready for `publishEvent`.
   */
  create(payload: z.input<S>, options?: CreateEventOptions): EventEnvelope<C, T, z.output<S>>;
  /** Validates a payload; throws `VSA_EVENTS_INVALID_PAYLOAD`. */
  parse(payload: unknown): z.output<S>;
  /** Narrows any event (published or stored) to this definition's channel and type. */
  is(event: {
    readonly channel: string;
    readonly type: string;
  }): event is EventEnvelope<C, T, z.output<S>>;
}

/** Any event definition. */
export type AnyEventDefinition = EventDefinition<string, string, number, z.ZodType>;

/** The envelope type a definition creates. */
export type EventOf<D> =
  D extends EventDefinition<infer C, infer T, number, infer S>
    ? EventEnvelope<C, T, z.output<S>>
    : never;

const CHANNEL = /^[a-z][a-z0-9_.-]{0,99}$/;
const TYPE = /^[A-Za-z][A-Za-z0-9_.]{0,99}$/;

/** Marks envelopes built by a factory (so publish can skip re-validating them). */
export const VALIDATED: unique symbol = Symbol('vsa.events.validated');

/** Zod issues as `{ path, message }` with dotted paths. */
export function toIssues(error: z.ZodError): PayloadIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((p) => String(p)).join('.'),
    message: issue.message,
  }));
}

/**
 * Defines one event type and version: channel (the publishing slice), PascalCase past-tense
 * type, integer version and a zod payload schema.
 *
 * @example
 * export const OrderPlaced = defineEvent({
 *   channel: 'orders', type: 'OrderPlaced', version: 1,
 *   payload: z.object({ orderId: z.string(), total: z.number() }),
 * });
 * const event = OrderPlaced.create({ orderId: 'o-1', total: 42 }, { key: 'o-1' });
 */
export function defineEvent<
  const C extends string,
  const T extends string,
  const V extends number,
  S extends z.ZodType,
>(input: EventDefinitionInput<C, T, V, S>): EventDefinition<C, T, V, S> {
  if (typeof input !== 'object' || input === null) {
    throw new InvalidDefinitionError('defineEvent takes { channel, type, version, payload }');
  }
  const { channel, type, version, payload, upcast, description } = input;
  if (typeof channel !== 'string' || !CHANNEL.test(channel)) {
    throw new InvalidDefinitionError(
      `Invalid channel ${JSON.stringify(channel)}: lower-case letters, digits, _ . - (first a letter), at most 100 characters, e.g. "orders".`,
    );
  }
  if (typeof type !== 'string' || !TYPE.test(type)) {
    throw new InvalidDefinitionError(
      `Invalid event type ${JSON.stringify(type)}: letters, digits, _ and . (first a letter), e.g. "OrderPlaced".`,
    );
  }
  if (!Number.isSafeInteger(version) || version < 1 || version > 32767) {
    throw new InvalidDefinitionError(
      `Invalid version ${JSON.stringify(version)} for ${channel}/${type}: use an integer from 1.`,
    );
  }
  if (typeof payload !== 'object' || payload === null || typeof payload.safeParse !== 'function') {
    throw new InvalidDefinitionError(
      `Payload of ${channel}/${type}@v${version} must be a zod schema.`,
    );
  }
  if (upcast !== undefined && typeof upcast !== 'function') {
    throw new InvalidDefinitionError(
      `upcast of ${channel}/${type}@v${version} must be a function.`,
    );
  }
  const name = `${channel}/${type}@v${version}`;

  const parse = (value: unknown): z.output<S> => {
    const result = payload.safeParse(value);
    if (!result.success)
      throw new InvalidPayloadError(name, toIssues(result.error), { cause: result.error });
    return result.data as z.output<S>;
  };

  return Object.freeze({
    channel,
    type,
    version,
    payload,
    upcast,
    description,
    name,
    parse,
    create(value: z.input<S>, options: CreateEventOptions = {}): EventEnvelope<C, T, z.output<S>> {
      const parsed = parse(value);
      const envelope = {
        id: options.id ?? uuidv7(),
        channel,
        type,
        version,
        key: options.key ?? null,
        payload: parsed,
        metadata: options.metadata ?? {},
        occurredAt: options.occurredAt ?? new Date(),
        idempotencyKey: options.idempotencyKey ?? null,
      };
      validateEnvelopeFields(envelope);
      Object.defineProperty(envelope, VALIDATED, { value: true });
      return envelope;
    },
    is(event: {
      readonly channel: string;
      readonly type: string;
    }): event is EventEnvelope<C, T, z.output<S>> {
      return event.channel === channel && event.type === type;
    },
  });
}
