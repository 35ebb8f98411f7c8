import type { PGlite } from '@electric-sql/pglite';
import { assertCount, positive } from '../errors.js';
import type { BenchContext, Figure } from '../harness.js';
import { type BenchEvent, createEvents } from '../payloads.js';
import { runCounts } from './options.js';
import { CHANNEL_INDEX_DDL, COUNT_SQL, EVENTS_DDL, multiInsertSql, RESET_SQL } from './schema.js';

/** Options of the PGlite measurements. */
export interface PgliteOptions {
  label?: string;
  runs?: number;
  /** Untimed, unrecorded runs first; default 0. */
  warmup?: number;
  /** Reuse this instance (saves the 3–5 s initdb); default a fresh file-backed one. */
  db?: PGlite;
  channelIndex?: boolean;
}

async function open(ctx: BenchContext, options: PgliteOptions): Promise<PGlite> {
  const db = options.db ?? (await ctx.pglite());
  await db.exec(EVENTS_DDL);
  if (options.channelIndex) await db.exec(CHANNEL_INDEX_DDL);
  return db;
}

async function check(db: PGlite, expected: number, what: string): Promise<void> {
  const { rows } = await db.query<{ total: number; objects: number }>(COUNT_SQL);
  const { total, objects } = rows[0] ?? { total: 0, objects: 0 };
  if (total !== expected || objects !== expected) {
    throw new Error(
      `${what}: expected ${expected} events with object payloads, found ${total} (${objects})`,
    );
  }
}

async function insertAll(db: PGlite, events: BenchEvent[], batchSize: number): Promise<void> {
  const fullSql = multiInsertSql(batchSize);
  for (let start = 0; start < events.length; start += batchSize) {
    const end = Math.min(events.length, start + batchSize);
    const values: string[] = [];
    for (let i = start; i < end; i++) {
      const e = events[i] as BenchEvent;
      values.push(e.channel, e.type, e.json);
    }
    await db.query(end - start === batchSize ? fullSql : multiInsertSql(end - start), values);
  }
}

/** 6 1b: PGlite (file-backed, default options, `fsync=off`), 500-row multi-row INSERT. */
export async function pgliteMultiInsert(
  ctx: BenchContext,
  options: PgliteOptions & { rows?: number; batchSize?: number } = {},
): Promise<Figure> {
  const rows = positive('rows', options.rows ?? 100_000);
  const batchSize = positive('batchSize', options.batchSize ?? 500);
  const events = createEvents(rows);
  const db = await open(ctx, options);
  const label =
    options.label ?? `6 PGlite ${batchSize}-row INSERT${options.channelIndex ? ' idx' : ''}`;
  return ctx.repeat(
    label,
    async () => {
      await insertAll(db, events, batchSize);
      return rows;
    },
    {
      unit: 'rows/s',
      ...runCounts(options),
      before: async () => {
        await db.exec(RESET_SQL);
      },
      after: (items) => check(db, items, label),
    },
  );
}

/** 6 2: PGlite cursor read, pages of 1,000 with the checkpoint UPDATE per page (as 2). */
export async function pgliteCursorRead(
  ctx: BenchContext,
  options: PgliteOptions & { events?: number; batchSize?: number } = {},
): Promise<Figure> {
  const total = positive('events', options.events ?? 100_000);
  const batchSize = positive('batchSize', options.batchSize ?? 1000);
  const db = await open(ctx, options);
  await db.exec(RESET_SQL);
  await insertAll(db, createEvents(total), 500);
  await check(db, total, 'PGlite read setup');
  await db.exec('VACUUM ANALYZE events');
  const label = options.label ?? '6 PGlite cursor read';
  return ctx.repeat(
    label,
    async () => {
      let last = '0';
      let read = 0;
      for (;;) {
        const done = await db.transaction(async (tx) => {
          const { rows } = await tx.query<{ id: string; payload: unknown }>(
            `SELECT id, channel, type, payload, created_at FROM events WHERE id > $1 ORDER BY id LIMIT ${batchSize}`,
            [last],
          );
          if (rows.length === 0) return true;
          for (const row of rows) {
            if (typeof row.payload !== 'object')
              throw new Error(`event ${row.id} payload was not decoded`);
          }
          read += rows.length;
          last = String((rows[rows.length - 1] as { id: string }).id);
          await tx.query(
            'UPDATE checkpoints SET last_id = $1, updated_at = now() WHERE consumer = $2',
            [last, 'bench'],
          );
          return false;
        });
        if (done) return read;
      }
    },
    {
      unit: 'events/s',
      ...runCounts(options),
      before: async () => {
        await db.exec(
          "DELETE FROM checkpoints; INSERT INTO checkpoints (consumer, last_id) VALUES ('bench', 0); CHECKPOINT",
        );
      },
      after: (items) => assertCount(`${label} events read`, items, total),
    },
  );
}
