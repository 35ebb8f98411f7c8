import type { EventCatalog } from '../catalog/define-catalog.js';
import type { EventMetadata, StoredEvent } from '../envelope.js';
import { InvalidArgumentError } from '../errors.js';
import { type EventExecutor, toNumber, toQueryable } from '../executor.js';
import { DEFAULT_SCHEMA, validateSchemaName } from '../schema-name.js';
import { tickSql } from '../ticker/ticker.js';
import { decodeCursor, encodeCursor } from './cursor.js';
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

function positiveInt(name: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(
      `${name} must be an integer from 1 to ${max}, got ${String(value)}.`,
    );
  }
  return value;
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
export async function getEventsByChannel(
  db: EventExecutor,
  channel: string,
  options: ReadOptions = {},
): Promise<EventPage> {
  if (typeof channel !== 'string' || channel === '') {
    throw new InvalidArgumentError(
      `channel must be a non-empty string, got ${JSON.stringify(channel)}.`,
    );
  }
  const schema = validateSchemaName(options.schema ?? DEFAULT_SCHEMA);
  const limit = positiveInt('limit', options.limit ?? 100, 10_000);
  const partitions = positiveInt('partitions', options.partitions ?? 1, 32_767);
  const partition = options.partition ?? 0;
  if (!Number.isSafeInteger(partition) || partition < 0 || partition >= partitions) {
    throw new InvalidArgumentError(
      `partition must be an integer from 0 to ${partitions - 1}, got ${String(partition)}.`,
    );
  }
  const types = options.types;
  if (types !== undefined && (!Array.isArray(types) || types.some((t) => typeof t !== 'string'))) {
    throw new InvalidArgumentError('types must be an array of event type names.');
  }
  const from = decodeCursor(options.after);
  const q = toQueryable(db);
  if (options.tick !== false) await q.query(tickSql(schema));
  const { rows } = await q.query<ChannelRow>(readChannelSql(schema), [
    channel,
    from.tick,
    from.seq,
    limit,
    types === undefined ? null : [...types],
    partitions,
    partition,
  ]);
  const events: StoredEvent[] = [];
  let nextCursor = encodeCursor(from);
  for (const row of rows) {
    if (row.id === null) {
      nextCursor = encodeCursor({ tick: toNumber(row.tick_id), seq: toNumber(row.seq) });
      continue;
    }
    const event = toEvent(row);
    events.push(options.catalog === undefined ? event : options.catalog.upcast(event));
    nextCursor = event.position;
  }
  return { events, nextCursor };
}
