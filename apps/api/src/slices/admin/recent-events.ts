import type { AdminSliceOptions } from './deps.js';

/** An event as the console's tail shows it. */
export interface RecentEvent {
  readonly id: string;
  readonly seq: number;
  readonly type: string;
  readonly version: number;
  readonly key: string | null;
  readonly payload: unknown;
  readonly recordedAt: string;
}

interface Row {
  id: string;
  seq: unknown;
  type: string;
  version: number;
  key: string | null;
  payload: unknown;
  recorded_ms: unknown;
}

function toEvent(row: Row): RecentEvent {
  return {
    id: row.id,
    seq: Number(row.seq),
    type: row.type,
    version: row.version,
    key: row.key,
    payload: row.payload,
    recordedAt: new Date(Number(row.recorded_ms)).toISOString(),
  };
}

const COLUMNS = `id::text, seq, type, version, key, payload,
  (extract(epoch from recorded_at) * 1000)::float8 as recorded_ms`;

/**
 * The newest committed events of a channel, newest first (index `events_channel_seq`, a
 * backward scan of `limit` rows). A tail, not a delivery-order read: a consumer's order is
 * `bus.read`. Not in the bus's admin entry yet, so the slice reads the table itself.
 */
export async function recentEvents(
  bus: AdminSliceOptions['bus'],
  channel: string,
  limit: number,
): Promise<RecentEvent[]> {
  const { rows } = await bus.db.query<Row>(
    `select ${COLUMNS} from "${bus.schema}".events where channel = $1 order by seq desc limit $2`,
    [channel, limit],
  );
  return rows.map(toEvent);
}

/** Events by seq (primary key): the payloads behind a page of dead letters. */
export async function eventsBySeq(
  bus: AdminSliceOptions['bus'],
  seqs: readonly number[],
): Promise<Map<number, RecentEvent>> {
  if (seqs.length === 0) return new Map();
  const { rows } = await bus.db.query<Row>(
    `select ${COLUMNS} from "${bus.schema}".events where seq = any($1::bigint[])`,
    [seqs.map(String)],
  );
  return new Map(rows.map((row) => [Number(row.seq), toEvent(row)]));
}
