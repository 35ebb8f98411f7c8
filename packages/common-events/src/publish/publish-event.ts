import type { Tracer } from '@opentelemetry/api';
import { getLogContext } from '@vsa/common-logging';
import type { EventCatalog } from '../catalog/define-catalog.js';
import { validateEnvelopeFields } from '../catalog/validate-envelope.js';
import type { EventEnvelope, EventMetadata, PublishedEvent } from '../envelope.js';
import { InvalidArgumentError } from '../errors.js';
import { type EventExecutor, queryHot, toNumber, toQueryable } from '../executor.js';
import { countPublished, type EventBusMetrics } from '../observability/metrics.js';
import { activeTraceFields, defaultTracer, inPublishSpan } from '../observability/tracing.js';
import { DEFAULT_SCHEMA, validateSchemaName } from '../schema-name.js';
import { manyParams, oneParams, publishSql } from './publish-sql.js';

/** Options of {@link publishEvent}. */
export interface PublishOptions {
  /** Schema of the event tables (default `vsa_events`). */
  readonly schema?: string;
  /** Validate every event against this catalog first (unknown type / invalid payload fail). */
  readonly catalog?: EventCatalog;
  /**
   * Take a transaction-scoped advisory lock per distinct (channel, key) before inserting, so
   * events of one key are inserted, and therefore delivered, in commit order even when the
   * business writes do not lock the key themselves. Default `false`.
   */
  readonly lockKeys?: boolean;
}

/** Most events an array publish may carry in one call. */
export const MAX_EVENTS_PER_PUBLISH = 100_000;

function withContext(metadata: EventMetadata): EventMetadata {
  const ctx = getLogContext();
  // The active span's W3C context, else a traceparent the log context carries.
  const active = metadata.traceparent === undefined ? activeTraceFields() : undefined;
  if (ctx === undefined && active === undefined) return metadata;
  const correlationId = metadata.correlationId ?? ctx?.correlationId ?? ctx?.requestId;
  // Inside a handler the event being handled is the cause; in a request, the request.
  const causationId = metadata.causationId ?? ctx?.eventId ?? ctx?.causationId ?? ctx?.requestId;
  const traceparent = metadata.traceparent ?? active?.traceparent ?? ctx?.traceparent;
  const tracestate = active?.tracestate;
  return {
    ...metadata,
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(causationId === undefined ? {} : { causationId }),
    ...(traceparent === undefined ? {} : { traceparent }),
    ...(tracestate === undefined ? {} : { tracestate }),
  };
}

/** Validates and prepares envelopes; throws before anything is sent. */
export function prepareEvents(input: unknown, catalog: EventCatalog | undefined): EventEnvelope[] {
  const list = Array.isArray(input) ? input : [input];
  if (list.length > MAX_EVENTS_PER_PUBLISH) {
    throw new InvalidArgumentError(
      `Too many events in one publish (${list.length}): split into calls of at most ${MAX_EVENTS_PER_PUBLISH}.`,
    );
  }
  const out: EventEnvelope[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const event = list[i] as EventEnvelope;
    if (catalog === undefined) validateEnvelopeFields(event);
    const checked = catalog === undefined ? event : catalog.validate(event);
    out[i] = { ...checked, metadata: withContext(checked.metadata) };
  }
  return out;
}

/**
 * Writes prepared events with one statement (two when some idempotency keys already exist).
 * Internal: {@link publishEvent} and the event buffer share it.
 */
export async function insertEvents(
  executor: EventExecutor,
  schema: string,
  events: readonly EventEnvelope[],
  lockKeys: boolean,
): Promise<PublishedEvent[]> {
  if (events.length === 0) return [];
  const db = toQueryable(executor);
  const sql = publishSql(schema);
  if (lockKeys) {
    const keys = events.filter((e) => e.key !== null).map((e) => `${e.channel}:${e.key}`);
    if (keys.length > 0) await db.query(sql.lockKeys, [keys]);
  }
  const idempotent = events.some((e) => e.idempotencyKey !== null);
  if (!idempotent) {
    if (events.length === 1) {
      const e = events[0] as EventEnvelope;
      const { rows } = await queryHot<{ seq: unknown }>(
        executor,
        `vsa_ev1_${schema}`,
        sql.insertOne,
        oneParams(e),
      );
      if (rows.length !== 1) throw new Error(`Inserted ${rows.length} of 1 events`);
      return [
        {
          id: e.id,
          seq: toNumber((rows[0] as { seq: unknown }).seq),
          channel: e.channel,
          type: e.type,
          duplicate: false,
        },
      ];
    }
    // The name carries a version: a connection that prepared an older text under the old name
    // (another version of this package in the process) keeps it.
    const { rows } = await queryHot<{ seqs: string | null }>(
      executor,
      `vsa_evn2_${schema}`,
      sql.insertMany,
      manyParams(events),
    );
    const seqs = rows[0]?.seqs?.split(',') ?? [];
    if (seqs.length !== events.length) {
      throw new Error(`Inserted ${seqs.length} of ${events.length} events`);
    }
    const out: PublishedEvent[] = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as EventEnvelope;
      out[i] = {
        id: e.id,
        seq: Number(seqs[i]),
        channel: e.channel,
        type: e.type,
        duplicate: false,
      };
    }
    return out;
  }
  return insertIdempotent(db, sql, events);
}

async function insertIdempotent(
  db: ReturnType<typeof toQueryable>,
  sql: ReturnType<typeof publishSql>,
  events: readonly EventEnvelope[],
): Promise<PublishedEvent[]> {
  // Collapse repeats of one (channel, idempotency key) inside this call onto the first.
  const firstByKey = new Map<string, number>();
  const unique: EventEnvelope[] = [];
  const slot: number[] = new Array(events.length);
  events.forEach((e, i) => {
    if (e.idempotencyKey === null) {
      slot[i] = unique.push(e) - 1;
      return;
    }
    const k = `${e.channel}\u0000${e.idempotencyKey}`;
    const seen = firstByKey.get(k);
    if (seen === undefined) {
      const at = unique.push(e) - 1;
      firstByKey.set(k, at);
      slot[i] = at;
    } else {
      slot[i] = -1 - seen; // a repeat of unique[seen]
    }
  });
  const { rows } = await db.query<{ id: string; seq: unknown }>(
    sql.insertIdempotent,
    manyParams(unique),
  );
  const inserted = new Map<string, number>();
  for (const row of rows) inserted.set(row.id, toNumber(row.seq));
  const results: (PublishedEvent | undefined)[] = unique.map((e) =>
    inserted.has(e.id)
      ? {
          id: e.id,
          seq: inserted.get(e.id) as number,
          channel: e.channel,
          type: e.type,
          duplicate: false,
        }
      : undefined,
  );
  const missing = unique.filter((_, i) => results[i] === undefined);
  if (missing.length > 0) {
    // A fresh statement: in READ COMMITTED it sees the original even if it committed while
    // this insert waited on the unique index.
    const found = await db.query<{
      id: string;
      seq: unknown;
      channel: string;
      idempotency_key: string;
    }>(sql.findIdempotent, [missing.map((e) => e.channel), missing.map((e) => e.idempotencyKey)]);
    const byKey = new Map(found.rows.map((r) => [`${r.channel}\u0000${r.idempotency_key}`, r]));
    unique.forEach((e, i) => {
      if (results[i] !== undefined) return;
      const row = byKey.get(`${e.channel}\u0000${e.idempotencyKey}`);
      if (row === undefined) {
        throw new Error(
          `Idempotency key ${e.idempotencyKey} on ${e.channel} conflicted but the original is not visible (REPEATABLE READ?): retry the transaction`,
        );
      }
      results[i] = {
        id: row.id,
        seq: toNumber(row.seq),
        channel: e.channel,
        type: e.type,
        duplicate: true,
      };
    });
  }
  return events.map((_, i) => {
    const s = slot[i] as number;
    if (s >= 0) return results[s] as PublishedEvent;
    return { ...(results[-1 - s] as PublishedEvent), duplicate: true };
  });
}

/**
 * Publishes one event or many inside the caller's transaction, with one multi-row statement.
 * The events commit or roll back with the business rows. Validation happens first: an invalid
 * event throws before anything is sent. Correlation/causation ids come from the log context
 * when the event's metadata does not set them.
 *
 * `tx` is a @vsa/common-db transaction (or database, for auto-commit), a Prisma interactive
 * transaction client, or a `pg` client.
 *
 * @example
 * await db.transaction(async (tx) => {
 *   await tx.sql`insert into orders (id) values (${orderId})`;
 *   await publishEvent(tx, OrderPlaced.create({ orderId, total }, { key: orderId }));
 * });
 */
export async function publishEvent(
  tx: EventExecutor,
  event: EventEnvelope,
  options?: PublishOptions,
): Promise<PublishedEvent>;
export async function publishEvent(
  tx: EventExecutor,
  events: readonly EventEnvelope[],
  options?: PublishOptions,
): Promise<PublishedEvent[]>;
export async function publishEvent(
  tx: EventExecutor,
  events: EventEnvelope | readonly EventEnvelope[],
  options: PublishOptions = {},
): Promise<PublishedEvent | PublishedEvent[]> {
  const schema = validateSchemaName(options.schema ?? DEFAULT_SCHEMA);
  toQueryable(tx); // fail on an unsupported executor before validating anything
  const published = await publishTraced(tx, events, {
    schema,
    catalog: options.catalog,
    lockKeys: options.lockKeys === true,
    tracer: defaultTracer(),
    metrics: undefined,
  });
  return Array.isArray(events) ? published : (published[0] as PublishedEvent);
}

/** What {@link publishTraced} needs, resolved by its caller. @internal */
export interface ResolvedPublish {
  readonly schema: string;
  readonly catalog: EventCatalog | undefined;
  readonly lockKeys: boolean;
  readonly tracer: Tracer;
  readonly metrics: EventBusMetrics | undefined;
}

/**
 * Validates, then inserts in a producer span whose trace context the events' metadata
 * carries, and counts them. @internal
 */
export async function publishTraced(
  tx: EventExecutor,
  events: EventEnvelope | readonly EventEnvelope[],
  options: ResolvedPublish,
): Promise<PublishedEvent[]> {
  const list = (Array.isArray(events) ? events : [events]) as readonly EventEnvelope[];
  const published = await inPublishSpan(options.tracer, list, () =>
    insertEvents(tx, options.schema, prepareEvents(events, options.catalog), options.lockKeys),
  );
  countPublished(options.metrics, published);
  return published;
}
