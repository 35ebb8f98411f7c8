import type { EventMetadata, StoredEvent } from '../envelope.js';
import { toNumber } from '../executor.js';
import { encodeCursor } from './cursor.js';

/** An events row selected with `tx_id::text` and `id::text`. @internal */
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
  occurred_at: Date | string;
  recorded_at: Date | string;
}

const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));

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
