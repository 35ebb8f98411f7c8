import { z } from 'zod';
import type { EventEnvelope, StoredEvent } from '../envelope.js';
import { InvalidDefinitionError, UnknownEventTypeError, UpcastFailedError } from '../errors.js';
import { type AnyEventDefinition, VALIDATED } from './define-event.js';
import { validateEnvelopeFields } from './validate-envelope.js';

/** A JSON Schema object (draft-07, what AsyncAPI 3 embeds). */
export type JsonSchema = Record<string, unknown>;

/** Title/version of the AsyncAPI document. */
export interface AsyncApiInfo {
  readonly title?: string;
  readonly version?: string;
  readonly description?: string;
}

/** An AsyncAPI 3.0 document (plain JSON). */
export interface AsyncApiDocument {
  readonly asyncapi: '3.0.0';
  readonly info: { title: string; version: string; description?: string };
  readonly channels: Record<string, unknown>;
  readonly operations: Record<string, unknown>;
  readonly components: { messages: Record<string, unknown>; schemas: Record<string, unknown> };
}

/** The set of events an application publishes and reads. */
export interface EventCatalog<D extends AnyEventDefinition = AnyEventDefinition> {
  readonly definitions: readonly D[];
  /** `{ orders: 'orders', ... }`: every channel as a literal constant (the seed's enum). */
  readonly EventChannels: { readonly [K in D['channel']]: K };
  /** `{ OrderPlaced: 'OrderPlaced', ... }`: every event type as a literal constant. */
  readonly EventTypes: { readonly [K in D['type']]: K };
  /** The definition of `channel/type` at `version` (default: the latest version). */
  find(channel: string, type: string, version?: number): AnyEventDefinition | undefined;
  /**
   * Checks an envelope against the catalog before it is written: unknown type →
   * `VSA_EVENTS_UNKNOWN_TYPE`, bad payload → `VSA_EVENTS_INVALID_PAYLOAD` (naming the field).
   * Returns the envelope with the parsed payload.
   */
  validate<E extends EventEnvelope>(event: E): E;
  /** Upcasts a stored event of an older version to the latest version that has an `upcast`. */
  upcast<E extends StoredEvent>(event: E): E;
  /** JSON Schema of every event payload, keyed by `channel/Type@vN`. */
  jsonSchemas(): Record<string, JsonSchema>;
  /** An AsyncAPI 3.0 document: one channel per event channel, one message per type/version. */
  asyncApi(info?: AsyncApiInfo): AsyncApiDocument;
}

function messageId(def: AnyEventDefinition): string {
  return `${def.type}.v${def.version}`;
}

/**
 * Builds a catalog from event definitions. Rejects two definitions of the same
 * channel/type/version, and one type used on two channels.
 *
 * @example
 * export const catalog = defineCatalog([OrderPlaced, OrderCancelled]);
 * catalog.EventChannels.orders; // 'orders'
 * catalog.EventTypes.OrderPlaced; // 'OrderPlaced'
 */
export function defineCatalog<const D extends AnyEventDefinition>(
  definitions: readonly D[],
): EventCatalog<D> {
  if (!Array.isArray(definitions) || definitions.length === 0) {
    throw new InvalidDefinitionError(
      'defineCatalog takes a non-empty array of defineEvent(...) results',
    );
  }
  const byKey = new Map<string, AnyEventDefinition>();
  const latest = new Map<string, AnyEventDefinition>();
  const typeChannel = new Map<string, string>();
  const channels: Record<string, string> = {};
  const types: Record<string, string> = {};
  for (const def of definitions) {
    if (typeof def !== 'object' || def === null || typeof def.create !== 'function') {
      throw new InvalidDefinitionError(
        'defineCatalog: every entry must come from defineEvent(...)',
      );
    }
    const key = `${def.channel}\u0000${def.type}\u0000${def.version}`;
    if (byKey.has(key))
      throw new InvalidDefinitionError(`defineCatalog: ${def.name} is defined twice`);
    const other = typeChannel.get(def.type);
    if (other !== undefined && other !== def.channel) {
      throw new InvalidDefinitionError(
        `defineCatalog: event type ${def.type} is used on channels ${other} and ${def.channel}; give each a distinct type name.`,
      );
    }
    typeChannel.set(def.type, def.channel);
    byKey.set(key, def);
    const lk = `${def.channel}\u0000${def.type}`;
    const prev = latest.get(lk);
    if (prev === undefined || prev.version < def.version) latest.set(lk, def);
    channels[def.channel] = def.channel;
    types[def.type] = def.type;
  }

  const find = (channel: string, type: string, version?: number): AnyEventDefinition | undefined =>
    version === undefined
      ? latest.get(`${channel}\u0000${type}`)
      : byKey.get(`${channel}\u0000${type}\u0000${version}`);

  const jsonSchemaCache = new Map<AnyEventDefinition, JsonSchema>();
  const schemaOf = (def: AnyEventDefinition): JsonSchema => {
    let schema = jsonSchemaCache.get(def);
    if (schema === undefined) {
      schema = z.toJSONSchema(def.payload, { target: 'draft-07', io: 'input' }) as JsonSchema;
      jsonSchemaCache.set(def, schema);
    }
    return schema;
  };

  return Object.freeze({
    definitions: Object.freeze([...definitions]),
    EventChannels: Object.freeze(channels) as { readonly [K in D['channel']]: K },
    EventTypes: Object.freeze(types) as { readonly [K in D['type']]: K },
    find,
    validate<E extends EventEnvelope>(event: E): E {
      validateEnvelopeFields(event);
      const def = find(event.channel, event.type, event.version);
      if (def === undefined) {
        throw new UnknownEventTypeError(`${event.channel}/${event.type}@v${event.version}`);
      }
      // Factory-made envelopes were parsed by this very definition at create().
      if ((event as { [VALIDATED]?: boolean })[VALIDATED] === true) return event;
      return { ...event, payload: def.parse(event.payload) };
    },
    upcast<E extends StoredEvent>(event: E): E {
      const target = find(event.channel, event.type);
      if (target === undefined || target.version <= event.version || target.upcast === undefined) {
        return event;
      }
      let next: unknown;
      try {
        next = target.upcast(event.payload, event.version);
      } catch (error) {
        throw new UpcastFailedError(
          `${event.channel}/${event.type}@v${event.version}`,
          `upcast to v${target.version} threw`,
          { cause: error },
        );
      }
      const result = target.payload.safeParse(next);
      if (!result.success) {
        throw new UpcastFailedError(
          `${event.channel}/${event.type}@v${event.version}`,
          `upcast result does not match v${target.version}: ${result.error.issues[0]?.message ?? 'invalid'}`,
          { cause: result.error },
        );
      }
      return { ...event, version: target.version, payload: result.data };
    },
    jsonSchemas(): Record<string, JsonSchema> {
      const out: Record<string, JsonSchema> = {};
      for (const def of byKey.values()) out[def.name] = schemaOf(def);
      return out;
    },
    asyncApi(info: AsyncApiInfo = {}): AsyncApiDocument {
      const channelDocs: Record<string, { address: string; messages: Record<string, unknown> }> =
        {};
      const operations: Record<string, unknown> = {};
      const messages: Record<string, unknown> = {};
      const schemas: Record<string, unknown> = {};
      for (const def of byKey.values()) {
        const id = messageId(def);
        let channel = channelDocs[def.channel];
        if (channel === undefined) {
          channel = { address: def.channel, messages: {} };
          channelDocs[def.channel] = channel;
          operations[`publish.${def.channel}`] = {
            action: 'send',
            channel: { $ref: `#/channels/${def.channel}` },
            messages: [],
          };
        }
        channel.messages[id] = { $ref: `#/components/messages/${id}` };
        (operations[`publish.${def.channel}`] as { messages: unknown[] }).messages.push({
          $ref: `#/channels/${def.channel}/messages/${id}`,
        });
        schemas[id] = schemaOf(def);
        messages[id] = {
          name: def.type,
          title: `${def.type} v${def.version}`,
          ...(def.description === undefined ? {} : { summary: def.description }),
          contentType: 'application/json',
          headers: { $ref: '#/components/schemas/EventMetadata' },
          payload: { $ref: `#/components/schemas/${id}` },
        };
      }
      schemas.EventMetadata = {
        type: 'object',
        properties: {
          id: { type: 'string', format: 'uuid' },
          version: { type: 'integer', minimum: 1 },
          key: { type: ['string', 'null'] },
          correlationId: { type: 'string' },
          causationId: { type: 'string' },
          traceparent: { type: 'string' },
          tracestate: { type: 'string' },
        },
        additionalProperties: true,
      };
      return {
        asyncapi: '3.0.0',
        info: {
          title: info.title ?? 'Events',
          version: info.version ?? '1.0.0',
          ...(info.description === undefined ? {} : { description: info.description }),
        },
        channels: channelDocs,
        operations,
        components: { messages, schemas },
      };
    },
  });
}
