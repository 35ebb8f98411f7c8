import type pg from 'pg';
import { assertCount, positive } from '../errors.js';
import type { BenchContext, Figure } from '../harness.js';
import { CHANNELS, createEvents } from '../payloads.js';
import { copyEvents } from './inserts.js';
import { type MeasureOptions, runCounts } from './options.js';
import { checkEvents, createEventsSchema, RESET_SQL } from './schema.js';

/** Options of {@link rawCursorRead}. */
export interface CursorReadOptions extends MeasureOptions {
  /** Events to read per run; default 100,000. */
  events?: number;
  /** Rows per page (one transaction each); default 1,000. */
  batchSize?: number;
  /** Read channel by channel on a `(channel, id)` index ("2 ch"). */
  byChannel?: boolean;
}

interface EventRow {
  id: string;
  channel: string;
  type: string;
  payload: Record<string, unknown>;
  created_at: Date;
}

const CONSUMER = 'bench';

/**
 * Reads `channel` (or every channel) from `last = 0` in pages of `batchSize`, each page in its
 * own transaction with the checkpoint UPDATE, until a page comes back empty. Returns the
 * number of events read; every payload is touched so decoding cannot be skipped.
 */
async function readAll(client: pg.Client, batchSize: number, channel?: string): Promise<number> {
  const consumer = channel === undefined ? CONSUMER : `${CONSUMER}:${channel}`;
  const select =
    channel === undefined
      ? `SELECT id, channel, type, payload, created_at FROM events WHERE id > $1 ORDER BY id LIMIT ${batchSize}`
      : `SELECT id, channel, type, payload, created_at FROM events WHERE channel = $2 AND id > $1 ORDER BY id LIMIT ${batchSize}`;
  let last = '0';
  let read = 0;
  for (;;) {
    await client.query('BEGIN');
    // LIMIT is a literal (as in perf-baselines), so the prepared plan knows the page size.
    const params = channel === undefined ? [last] : [last, channel];
    const { rows } = await client.query<EventRow>({
      name: `read-${batchSize}-${channel ?? 'all'}`,
      text: select,
      values: params,
    });
    if (rows.length === 0) {
      await client.query('COMMIT');
      return read;
    }
    for (const row of rows) {
      if (typeof row.payload !== 'object')
        throw new Error(`event ${row.id} payload was not decoded`);
    }
    read += rows.length;
    last = (rows[rows.length - 1] as EventRow).id;
    await client.query({
      name: 'checkpoint',
      text: 'UPDATE checkpoints SET last_id = $1, updated_at = now() WHERE consumer = $2',
      values: [last, consumer],
    });
    await client.query('COMMIT');
  }
}

/**
 * 2: read events in id order, `WHERE id > $last ORDER BY id LIMIT 1000`, with the checkpoint
 * UPDATE in the same transaction per page. 100k events loaded by COPY, then `VACUUM ANALYZE`
 * and `CHECKPOINT` (untimed). With `byChannel`, 10 channels read one after the other ("2 ch").
 */
export async function rawCursorRead(
  ctx: BenchContext,
  options: CursorReadOptions = {},
): Promise<Figure> {
  const total = positive('events', options.events ?? 100_000);
  const batchSize = positive('batchSize', options.batchSize ?? 1000);
  const db = options.db ?? (await ctx.pg('raw'));
  const client = await db.connect();
  await createEventsSchema(client, { channelIndex: options.byChannel ?? false });
  await client.query(RESET_SQL);
  await copyEvents(client, createEvents(total));
  await checkEvents(client, total, 'cursor read setup');
  await client.query('VACUUM ANALYZE events');
  const consumers = options.byChannel ? CHANNELS.map((c) => `${CONSUMER}:${c}`) : [CONSUMER];
  const label = options.label ?? `2 cursor read${options.byChannel ? ' ch' : ''}`;
  const figure = await ctx.repeat(
    label,
    async () => {
      if (!options.byChannel) return readAll(client, batchSize);
      let read = 0;
      for (const channel of CHANNELS) read += await readAll(client, batchSize, channel);
      return read;
    },
    {
      unit: 'events/s',
      ...runCounts(options),
      before: async () => {
        await client.query('DELETE FROM checkpoints');
        await client.query(
          'INSERT INTO checkpoints (consumer, last_id) SELECT unnest($1::text[]), 0',
          [consumers],
        );
        await client.query('CHECKPOINT');
      },
      after: async (items) => {
        assertCount(`${label} events read`, items, total);
        const { rows } = await client.query<{ sum: string }>(
          'SELECT sum(last_id)::text AS sum FROM checkpoints',
        );
        if (!options.byChannel) assertCount(`${label} checkpoint`, Number(rows[0]?.sum), total);
      },
    },
  );
  await client.end();
  return figure;
}
