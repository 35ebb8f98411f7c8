import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import type { EventCatalog } from '../catalog/define-catalog.js';
import type { EventMetadata, StoredEvent } from '../envelope.js';
import { InvalidArgumentError } from '../errors.js';
import { type EventExecutor, type Queryable, toNumber, toQueryable } from '../executor.js';
import { at, catalogOption, intOption, schemaOption } from '../option-schemas.js';
import { tickSql } from '../ticker/ticker.js';
import { decodeCursor, encodeCursor, type Position } from './cursor.js';
import { type EventRow, eventColumnsSql, eventFromRow } from './event-row.js';

/** Options of {@link getEventsByChannel}. */
export interface ReadOptions {
  /** A `nextCursor` from an earlier call; omit to read from the beginning. */
  readonly after?: string | null | undefined;
  /** Page size, 1..10,000 (default 100). */
  readonly limit?: number;
  /** Only these event types (the cursor still advances past the others). */
  readonly types?: readonly string[];
  /** Schema of the event tables (default `vsa_events`). */
  readonly schema?: string;
  /** Upcast older versions with this catalog's `upcast` functions. */
  readonly catalog?: EventCatalog;
  /**
   * Take a tick first, so events committed just now are readable without a running ticker
   * (default `true`; the bus passes `false` while its ticker runs).
   */
  readonly tick?: boolean;
  /** Consumer-group partitioning: read only events with `key_hash % partitions === partition`. */
  readonly partitions?: number;
  readonly partition?: number;
}

/** One page of a channel. */
export interface EventPage<E = StoredEvent> {
  /** In delivery order: commit order across batches, insert order inside one. */
  readonly events: E[];
  /** Pass as `after` to read on. Always set, also when `events` is empty. */
  readonly nextCursor: string;
}

/**
 * Row shape of {@link readChannelSql}: `read_channel()`'s columns without `key_hash`, with
 * `occurred_at`/`recorded_at` as epoch milliseconds. A marker row has `id` null.
 */
export interface ChannelRow {
  tick_id: unknown;
  seq: unknown;
  tx_id: string | null;
  id: string | null;
  channel: string;
  type: string;
  version: number;
  key: string | null;
  payload: unknown;
  metadata: EventMetadata;
  idempotency_key: string | null;
  /** Epoch ms: a number (pg, PGlite, Prisma), or text from a driver without type parsers. */
  occurred_at: number | string | null;
  recorded_at: number | string | null;
}

const readSqlCache = new Map<string, string>();

/**
 * `select ... from <schema>.read_channel($1..$7)`: the statement every channel read sends
 * (getEventsByChannel and, through it, consumers). It selects only the columns an event needs
 * and timestamps as epoch ms, which decode far cheaper than timestamptz text.
 */
export function readChannelSql(schema: string): string {
  let sql = readSqlCache.get(schema);
  if (sql === undefined) {
    sql = `select r.tick_id, ${eventColumnsSql('r', true)}
  from "${schema}".read_channel($1, $2, $3, $4, $5::text[], $6, $7) r`;
    readSqlCache.set(schema, sql);
  }
  return sql;
}

function toEvent(row: ChannelRow): StoredEvent {
  // Only the marker row has nulls; the caller skips it.
  return eventFromRow(row as EventRow, toNumber(row.tick_id));
}

const readShape = {
  after: z.string('must be a nextCursor string').nullable().optional(),
  limit: intOption(1, 10_000).default(100),
  types: z
    .array(z.string('must be an event type name'), 'must be an array of event type names')
    .optional(),
  tick: z.boolean('must be true or false').default(true),
  partitions: intOption(1, 32_767).default(1),
  partition: intOption(0, 32_766).default(0),
};

const partitionInRange = {
  message: 'must be below partitions',
  path: ['partition'],
};

const readOptionsSchema = z
  .strictObject({ ...readShape, schema: schemaOption, catalog: catalogOption.optional() })
  .refine((o) => o.partition < o.partitions, partitionInRange);

// `bus.read`: the bus gives schema and catalog, and ticks first only while its ticker is stopped.
const busReadOptionsSchema = z
  .strictObject({ ...readShape, tick: z.boolean('must be true or false').optional() })
  .refine((o) => o.partition < o.partitions, partitionInRange);

/** {@link ReadOptions} parsed, with defaults and the cursor decoded. @internal */
export interface ResolvedReadOptions {
  readonly from: Position;
  readonly limit: number;
  readonly types: readonly string[] | null;
  readonly schema: string;
  readonly catalog: EventCatalog | undefined;
  readonly tick: boolean;
  readonly partitions: number;
  readonly partition: number;
}

function checkChannel(channel: unknown): string {
  if (typeof channel !== 'string' || channel === '') {
    throw new InvalidArgumentError(
      `channel must be a non-empty string, got ${JSON.stringify(channel)}.`,
    );
  }
  return channel;
}

/**
 * Reads one page of a channel in delivery order. Never returns an event of an uncommitted or
 * rolled-back transaction, and never skips one that committed late: an event becomes
 * readable with the first tick after its commit, and pages walk ticks in order.
 *
 * @example
 * let cursor: string | undefined;
 * for (;;) {
 *   const { events, nextCursor } = await getEventsByChannel(db, 'orders', { after: cursor });
 *   if (events.length === 0) break;
 *   handle(events);
 *   cursor = nextCursor;
 * }
 */
export function getEventsByChannel(
  db: EventExecutor,
  channel: string,
  options: ReadOptions = {},
): Promise<EventPage> {
  try {
    const name = checkChannel(channel);
    const o = parseOptions(
      readOptionsSchema,
      options,
      at('getEventsByChannel(db, channel, options)'),
    );
    return readChannel(toQueryable(db), name, {
      ...o,
      from: decodeCursor(o.after),
      types: o.types === undefined ? null : [...o.types],
      catalog: o.catalog,
    });
  } catch (error) {
    return Promise.reject(error);
  }
}

/** `bus.read(channel, options)`: parses the options once, then reads. @internal */
export function readForBus(
  q: Queryable,
  channel: string,
  options: Omit<ReadOptions, 'schema' | 'catalog'> | undefined,
  bus: { readonly schema: string; readonly catalog: EventCatalog; readonly ticking: boolean },
): Promise<EventPage> {
  try {
    const name = checkChannel(channel);
    const o = parseOptions(busReadOptionsSchema, options ?? {}, at('bus.read(channel, options)'));
    return readChannel(q, name, {
      ...o,
      from: decodeCursor(o.after),
      types: o.types === undefined ? null : [...o.types],
      schema: bus.schema,
      catalog: bus.catalog,
      tick: o.tick ?? !bus.ticking,
    });
  } catch (error) {
    return Promise.reject(error);
  }
}

/** One page of a channel with options parsed already (the bus's and consumers' reads). @internal */
export async function readChannel(
  q: Queryable,
  channel: string,
  o: ResolvedReadOptions,
): Promise<EventPage> {
  const { from } = o;
  if (o.tick) await q.query(tickSql(o.schema));
  const { rows } = await q.query<ChannelRow>(readChannelSql(o.schema), [
    channel,
    from.tick,
    from.seq,
    o.limit,
    o.types,
    o.partitions,
    o.partition,
  ]);
  const events: StoredEvent[] = [];
  let nextCursor = encodeCursor(from);
  for (const row of rows) {
    if (row.id === null) {
      nextCursor = encodeCursor({ tick: toNumber(row.tick_id), seq: toNumber(row.seq) });
      continue;
    }
    const event = toEvent(row);
    events.push(o.catalog === undefined ? event : o.catalog.upcast(event));
    nextCursor = event.position;
  }
  return { events, nextCursor };
}
