import type pg from 'pg';

/** The events table of perf-baselines.md (server and PGlite alike). */
export const EVENTS_DDL = `
CREATE TABLE IF NOT EXISTS events (
  id bigserial PRIMARY KEY,
  channel text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS checkpoints (
  consumer text PRIMARY KEY,
  last_id bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);`;

/** The `(channel, id)` index that by-channel reads need ("1b idx", "2 ch"). */
export const CHANNEL_INDEX_DDL =
  'CREATE INDEX IF NOT EXISTS events_channel_id ON events (channel, id)';

/** Hygiene before every run: empty table, ids from 1, dirty pages flushed. */
export const RESET_SQL = 'TRUNCATE events, checkpoints RESTART IDENTITY; CHECKPOINT';

/** Counts rows and rows whose payload landed as a jsonb object (not a string). */
export const COUNT_SQL =
  "SELECT count(*)::int AS total, count(*) FILTER (WHERE jsonb_typeof(payload) = 'object')::int AS objects FROM events";

/** Multi-row `INSERT … VALUES ($1,$2,$3),(…)` text for `rows` rows. */
export function multiInsertSql(rows: number): string {
  const tuples: string[] = new Array(rows);
  for (let i = 0; i < rows; i++) tuples[i] = `($${3 * i + 1},$${3 * i + 2},$${3 * i + 3})`;
  return `INSERT INTO events (channel, type, payload) VALUES ${tuples.join(',')}`;
}

/** Creates the tables (and optionally the channel index) in a server database. */
export async function createEventsSchema(
  client: pg.Client,
  options: { channelIndex?: boolean } = {},
): Promise<void> {
  await client.query(EVENTS_DDL);
  if (options.channelIndex) await client.query(CHANNEL_INDEX_DDL);
}

/** Fails unless the table holds exactly `expected` rows, all with object payloads. */
export async function checkEvents(
  client: pg.Client,
  expected: number,
  what: string,
): Promise<void> {
  const { rows } = await client.query<{ total: number; objects: number }>(COUNT_SQL);
  const { total, objects } = rows[0] ?? { total: 0, objects: 0 };
  if (total !== expected || objects !== expected) {
    throw new Error(
      `${what}: expected ${expected} events with jsonb object payloads, found ${total} rows (${objects} objects)`,
    );
  }
}
