import type { EventMetadata, StoredEvent } from '../envelope.js';
import { toNumber } from '../executor.js';
import { encodeCursor } from './cursor.js';

/**
 * A timestamptz column as epoch milliseconds (float8, exact: whole milliseconds are far below
 * 2^53). Decoding a number and `new Date(ms)` is several times cheaper than node-postgres's
 * regex-based timestamptz parser. `floor` drops the microseconds exactly as that parser does.
 * @internal
 */
export function epochMsSql(column: string): string {
  return `floor(extract(epoch from ${column}) * 1000)::float8`;
}

/**
 * The columns {@link eventFromRow} reads, from `alias`: an events table row (`uuid`/`xid8`
 * columns, cast to text here) or a `read_channel()` row (`textIds`: already text). Columns the
 * mapping does not use (`key_hash`) are left out so no driver decodes them.
 * @internal
 */
export function eventColumnsSql(alias: string, textIds: boolean): string {
  const a = alias;
  const ids = textIds ? `${a}.tx_id, ${a}.id` : `${a}.tx_id::text as tx_id, ${a}.id::text as id`;
  return `${a}.seq, ${ids}, ${a}.channel, ${a}.type, ${a}.version, ${a}.key, ${a}.payload,
  ${a}.metadata, ${a}.idempotency_key, ${epochMsSql(`${a}.occurred_at`)} as occurred_at,
  ${epochMsSql(`${a}.recorded_at`)} as recorded_at`;
}

/** An events row selected with {@link eventColumnsSql}. @internal */
export interface EventRow {
  seq: unknown;
  tx_id: string;
  id: string;
  channel: string;
  type: string;
  version: number;
  key: string | null;
  payload: unknown;
  metadata: EventMetadata;
  idempotency_key: string | null;
  /** Epoch ms (number, or text from a driver without type parsers) or a timestamptz value. */
  occurred_at: number | Date | string;
  recorded_at: number | Date | string;
}

/** Epoch ms as a number or text, a Date, or a timestamp string, as a Date. @internal */
export function toDate(value: number | Date | string): Date {
  if (typeof value === 'number') return new Date(value);
  if (value instanceof Date) return value;
  const ms = Number(value);
  return new Date(value.trim() !== '' && Number.isFinite(ms) ? ms : value);
}

/** A stored event from a row read by seq (redrive), positioned in tick `tick`. @internal */
export function eventFromRow(row: EventRow, tick: number): StoredEvent {
  const seq = toNumber(row.seq);
  return {
    id: row.id,
    channel: row.channel,
    type: row.type,
    version: row.version,
    storedVersion: row.version,
    key: row.key,
    payload: row.payload,
    metadata: row.metadata,
    occurredAt: toDate(row.occurred_at),
    idempotencyKey: row.idempotency_key,
    seq,
    txId: row.tx_id,
    recordedAt: toDate(row.recorded_at),
    position: encodeCursor({ tick, seq }),
  };
}
