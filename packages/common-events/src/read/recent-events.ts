import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { type EventExecutor, toNumber, toQueryable } from '../executor.js';
import { at, intOption, schemaOption } from '../option-schemas.js';
import { epochMsSql, toDate } from './event-row.js';

/** A stored event as an operator's tail shows it (no position: it may not be ticked yet). */
export interface RecentEvent {
  readonly id: string;
  /** Global insert position (not commit order). */
  readonly seq: number;
  readonly channel: string;
  readonly type: string;
  /** The version it was stored with (not upcast). */
  readonly version: number;
  readonly key: string | null;
  readonly payload: unknown;
  readonly recordedAt: Date;
}

/** Options of {@link getRecentEvents}. */
export interface RecentEventsOptions {
  /** Most events returned, 1 to 1,000 (default 50). */
  readonly limit?: number;
  /** Postgres schema of the bus's tables (default `vsa_events`). */
  readonly schema?: string;
}

/** Options of {@link getEventsBySeq}. */
export interface EventsBySeqOptions {
  /** Postgres schema of the bus's tables (default `vsa_events`). */
  readonly schema?: string;
}

const recentSchema = z.strictObject({
  limit: intOption(1, 1000).default(50),
  schema: schemaOption,
});

const bySeqSchema = z.strictObject({ schema: schemaOption });

/** The most seqs {@link getEventsBySeq} looks up in one call (a page of dead letters is far less). */
export const MAX_SEQS_PER_LOOKUP = 1000;

interface Row {
  id: string;
  seq: unknown;
  channel: string;
  type: string;
  version: number;
  key: string | null;
  payload: unknown;
  recorded_at: number | string;
}

const COLUMNS = `id::text as id, seq, channel, type, version, key, payload,
  ${epochMsSql('recorded_at')} as recorded_at`;

function toRecent(row: Row): RecentEvent {
  return {
    id: row.id,
    seq: toNumber(row.seq),
    channel: row.channel,
    type: row.type,
    version: row.version,
    key: row.key,
    payload: row.payload,
    recordedAt: toDate(row.recorded_at),
  };
}

/**
 * The newest committed events of a channel, newest first: a backward scan of `limit` rows on
 * the `(channel, seq)` index, cheap at any table size. A tail for operators (a console, an
 * admin route), not a delivery-order read: consumers and replays read with `getEventsByChannel`.
 *
 * @example
 * const tail = await getRecentEvents(db, 'orders', { limit: 20 });
 */
export async function getRecentEvents(
  db: EventExecutor,
  channel: string,
  options: RecentEventsOptions = {},
): Promise<RecentEvent[]> {
  const where = 'getRecentEvents(db, channel, options)';
  if (typeof channel !== 'string' || channel === '') {
    throw new InvalidArgumentError(
      `${where}: channel must be a non-empty string, got ${JSON.stringify(channel)}.`,
    );
  }
  const o = parseOptions(recentSchema, options, at(where));
  const { rows } = await toQueryable(db).query<Row>(
    `select ${COLUMNS} from "${o.schema}".events where channel = $1 order by seq desc limit $2`,
    [channel, o.limit],
  );
  return rows.map(toRecent);
}

/**
 * Events by their `seq` (the primary key), e.g. the events behind a page of dead letters.
 * Seqs with no event (pruned) are absent from the map.
 *
 * @example
 * const events = await getEventsBySeq(db, letters.map((l) => l.seq));
 */
export async function getEventsBySeq(
  db: EventExecutor,
  seqs: readonly number[],
  options: EventsBySeqOptions = {},
): Promise<Map<number, RecentEvent>> {
  const where = 'getEventsBySeq(db, seqs, options)';
  if (
    !Array.isArray(seqs) ||
    seqs.length > MAX_SEQS_PER_LOOKUP ||
    !seqs.every((s) => Number.isSafeInteger(s) && s > 0)
  ) {
    throw new InvalidArgumentError(
      `${where}: seqs must be an array of at most ${MAX_SEQS_PER_LOOKUP} positive integers.`,
    );
  }
  const o = parseOptions(bySeqSchema, options, at(where));
  if (seqs.length === 0) return new Map();
  const { rows } = await toQueryable(db).query<Row>(
    `select ${COLUMNS} from "${o.schema}".events where seq = any($1::bigint[])`,
    [seqs.map(String)],
  );
  return new Map(rows.map((row) => [toNumber(row.seq), toRecent(row)]));
}
